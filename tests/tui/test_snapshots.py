"""Every step at 100x30 and 80x24, plus the error states, as SVG snapshots.

Frames hold nothing that varies between runs: bundled tree (no temp paths), no clock, no spinner
(fetch finished), no run (ETA), cursors not blinking. Update with `--snapshot-update` and look at
the SVGs before committing them.
"""

from __future__ import annotations

import pytest

from tui_helpers import goto, no_blink, settle, tinyllama_state, type_text

SIZES = [(100, 30), (80, 24)]
STEPS = ["model", "base", "arch", "experiment", "preview", "launch"]


@pytest.fixture
def bundled_app(hf_cache, tmp_path, monkeypatch):
    from primus_tui.tui.app import make_app

    monkeypatch.chdir(tmp_path)

    def factory(state=None, **kwargs):
        return make_app(state=state, primus_root=None, log_dir=tmp_path / "logs", answers_path=tmp_path / "a.yaml", **kwargs)

    return factory


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("step", STEPS)
def test_step(snap_compare, bundled_app, step, size):
    app = bundled_app(state=tinyllama_state(None))

    async def run_before(pilot):
        await settle(pilot)
        await goto(pilot, step)
        no_blink(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_start_screen(snap_compare, bundled_app, size):
    async def run_before(pilot):
        await settle(pilot)
        no_blink(pilot)

    assert snap_compare(bundled_app(), terminal_size=size, run_before=run_before)


def test_bad_repo_id(snap_compare, bundled_app):
    async def run_before(pilot):
        await settle(pilot)
        await type_text(pilot, "not a repo!!")
        await pilot.press("enter")
        await settle(pilot)
        no_blink(pilot)

    assert snap_compare(bundled_app(), terminal_size=(80, 24), run_before=run_before)


def test_validation_error(snap_compare, bundled_app):
    state = tinyllama_state(None).set_field("num_query_groups", 5)

    async def run_before(pilot):
        await settle(pilot)
        await goto(pilot, "arch")
        no_blink(pilot)

    assert snap_compare(bundled_app(state=state), terminal_size=(100, 30), run_before=run_before)


def test_help_screen(snap_compare, bundled_app):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(bundled_app(), terminal_size=(100, 30), run_before=run_before)


def test_confirm_write(snap_compare, bundled_app):
    async def run_before(pilot):
        await settle(pilot)
        await goto(pilot, "launch")
        await pilot.press("ctrl+o")
        from tui_helpers import wait_for_modal

        await wait_for_modal(pilot)
        await pilot.pause()

    assert snap_compare(bundled_app(state=tinyllama_state(None)), terminal_size=(100, 30), run_before=run_before)
