"""The pane class of each core step (`primus_tui.steps.STEPS`), imported when first needed.

Only step 1's pane is imported before the first frame; the others load right after it. A test
checks that every core step has a pane here and nothing else does.
"""

from __future__ import annotations

from importlib import import_module

from primus_tui.steps import STEPS

PANE_CLASSES: dict[str, str] = {
    "model": "primus_tui.tui.widgets.step_model:ModelStep",
    "base": "primus_tui.tui.widgets.step_base:BaseStep",
    "arch": "primus_tui.tui.widgets.step_arch:ArchStep",
    "experiment": "primus_tui.tui.widgets.step_experiment:ExperimentStep",
    "preview": "primus_tui.tui.widgets.step_preview:PreviewStep",
    "launch": "primus_tui.tui.widgets.step_launch:LaunchStep",
}


def pane_class(step_id: str) -> type:
    module, _, name = PANE_CLASSES[step_id].partition(":")
    return getattr(import_module(module), name)


def later_pane_classes() -> list[type]:
    """Every pane after the first, in step order."""
    return [pane_class(s.id) for s in STEPS[1:]]
