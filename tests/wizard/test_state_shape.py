"""The wizard state stays a small value: answers + context and transitions; its meaning lives in
pure functions (wizard.derive / wizard.outputs) and its loading in wizard.context."""

from __future__ import annotations

import ast
import inspect

from primus_tui.wizard import context, derive, outputs, state

# Names whose call is I/O: files, processes, the network, or the loaders that do it.
IO_CALLS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "exists", "is_file", "is_dir",
            "iterdir", "glob", "rglob", "stat", "mkdir", "unlink", "run", "Popen", "fetch_config", "load_preset",
            "at", "registry_for_root", "rank_bases", "map_config"}


def _calls(module) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
    return names


def test_the_state_class_is_under_200_lines():
    lines, _ = inspect.getsourcelines(state.WizardState)
    assert len(lines) < 200, len(lines)


def test_the_state_and_the_derived_functions_do_no_io():
    for module in (state, derive):
        assert not (_calls(module) & IO_CALLS), (module.__name__, _calls(module) & IO_CALLS)
    assert _calls(context) & IO_CALLS  # the check sees I/O where there is some


def test_outputs_read_the_disk_only_to_plan():
    """Rendering is pure; `plan` compares with the disk through wizard.plan.plan_file."""
    assert not (_calls(outputs) & IO_CALLS)
    assert "plan_file" in _calls(outputs)
