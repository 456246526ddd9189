"""Headless and the TUI are two views of one core: same answers -> same problems, plan and bytes.

For every fixture with its top-ranked base (a refused one: the same refusal, nothing written): `primus-tui --answers F` (headless) writes into
one tree, the TUI (Pilot, ctrl+o, confirm) into another; both must see the same problems and plan,
and leave byte-identical files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.fixture_data import REPO_ROOT, fixture_repo_ids
from primus_tui.wizard import WizardState
from primus_tui.wizard.headless import HeadlessOptions, load_state, run_headless
from primus_tui.wizard.verdict import assess
from tui_helpers import answer, settle, wizard


def _tree(path: Path) -> Path:
    shutil.copytree(REPO_ROOT / "primus", path / "primus")
    shutil.copytree(REPO_ROOT / "examples", path / "examples")
    return path


def _written(root: Path) -> set[str]:
    """Files in `root` that the bundled tree does not have."""
    return {str(p.relative_to(root)) for p in root.rglob("*.yaml")
            if not (REPO_ROOT / p.relative_to(root)).exists()}


def _files(plan) -> list[tuple[str, str, str]] | None:
    return None if plan is None else [(f.display, f.action, f.content) for f in plan.files]


def _problems(problems) -> list[tuple[str, str, str]]:
    return [(p.path, p.message, p.severity) for p in problems]


@pytest.mark.parametrize("repo", fixture_repo_ids())
async def test_headless_and_tui_agree(hf_cache, tmp_path: Path, repo: str, monkeypatch) -> None:
    from primus_tui.tui.app import make_app

    monkeypatch.chdir(tmp_path)
    headless_root, tui_root = _tree(tmp_path / "headless"), _tree(tmp_path / "tui")
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({"version": 1, "model": {"repo": repo}}))

    opts = HeadlessOptions(answers=answers, primus_root=str(headless_root))
    state, _ = load_state(opts)
    verdict = assess(state)
    refused = any(p.path.startswith("model") for p in verdict.errors)
    assert verdict.writable or refused, [str(p) for p in verdict.errors]
    code = run_headless(opts, out=open("/dev/null", "w"), err=open("/dev/null", "w"))
    assert (code != 0) if refused else (code == 0)

    tui_state = WizardState.from_dict(yaml.safe_load(answers.read_text()) | {"target": {"primus_root": str(tui_root)}},
                                      base_dir=tmp_path)
    app = make_app(state=tui_state, primus_root=tui_root, log_dir=tmp_path / "logs")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        view = wizard(pilot).view
        assert _problems(view.problems) == _problems(verdict.problems)
        assert _files(view.plan) == _files(verdict.plan)
        if refused:  # the same refusal, and nothing is written from the TUI either
            await pilot.press("ctrl+o")
            await settle(pilot)
            assert _written(tui_root) == _written(headless_root) == set()
            return
        await pilot.press("ctrl+o")
        await answer(pilot, "y")
        await settle(pilot)
        assert "Wrote" in wizard(pilot).launch_pane.message, wizard(pilot).launch_pane.message

    for f in verdict.plan.files:
        rel = f.display
        assert (tui_root / rel).read_bytes() == (headless_root / rel).read_bytes(), rel
