"""Widgets and helpers on their own: batched log, the runner the app uses, validators, palette, help, modals."""

from __future__ import annotations

import sys

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input

from primus_tui.launch.runner import GroupRun
from primus_tui.tui.validators import CoreValidator, parse_scalar
from primus_tui.tui.widgets.log_pane import BatchedLog
from tui_helpers import fetch, focus_input, goto, next_step, replace_focused, settle, tinyllama_state, wait_for_modal


class LogApp(App):
    def compose(self) -> ComposeResult:
        yield BatchedLog(flush_interval=10)  # flushed by hand in the test


async def test_batched_log_writes_once_per_flush():
    app = LogApp()
    async with app.run_test() as pilot:
        log = app.query_one(BatchedLog)
        log.feed([f"line {i}" for i in range(100)])
        log.feed(["last"])
        assert log.line_count == 0 and log.pending == 101
        log.flush()
        await pilot.pause()
        assert log.line_count == 101 and log.pending == 0 and log.lines[-1] == "last"


async def test_batched_log_drops_what_max_lines_would_prune():
    app = LogApp()
    async with app.run_test():
        log = app.query_one(BatchedLog)
        log.max_lines = 50
        log.feed([str(i) for i in range(120)])
        assert log.pending == 50 and log.lines_fed == 120


async def test_process_run_streams_lines_saves_log_and_resolves_carriage_returns(tmp_path):
    script = r"""
import sys
sys.stdout.write("a\n\x1b[31mred\x1b[0m\nprogress 10%\rprogress 100%\npartial")
sys.stdout.flush()
"""
    got: list[str] = []
    run = GroupRun([sys.executable, "-c", script], cwd=tmp_path, log_path=tmp_path / "logs" / "run.log", on_lines=got.extend)
    result = run.run()
    assert result.returncode == 0 and result.ok
    assert got == ["a", "red", "progress 100%", "partial"]
    assert (tmp_path / "logs" / "run.log").read_bytes().startswith(b"a\n\x1b[31mred")
    assert result.lines == 4 and result.tail[-1] == "partial"


async def test_process_run_reports_a_command_that_cannot_start(tmp_path):
    result = GroupRun(["/nonexistent/primus-cli"], cwd=tmp_path).run()
    assert result.returncode is None and "cannot start" in result.error and not result.ok


def test_core_validator_adapts_plain_rules():
    def positive(value):
        return (isinstance(value, int) and value > 0, "must be a positive integer")

    v = CoreValidator(positive)
    assert v.validate("12").is_valid
    assert not v.validate("-1").is_valid and v.validate("x").failure_descriptions == ["must be a positive integer"]
    assert CoreValidator(positive, allow_blank=True).validate("").is_valid

    def broken(value):
        raise ZeroDivisionError("boom")

    assert "ZeroDivisionError" in CoreValidator(broken).validate("1").failure_descriptions[0]


@pytest.mark.parametrize(
    "text, value",
    [("2048", 2048), ("1e-5", 1e-5), ("1.0e-05", 1e-5), ("true", True), ("null", None), ("", None), ("RMSNorm", "RMSNorm"), ("[1, 2]", [1, 2])],
)
def test_parse_scalar_reads_form_text_like_yaml(text, value):
    assert parse_scalar(text) == value


async def test_help_and_palette_by_keys(make):
    from textual.command import CommandPalette

    from primus_tui.tui.screens.help import HelpScreen

    app = make(state=tinyllama_state(None))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Step 4", "enter")
        await settle(pilot)
        assert app.screen.step == 3


async def test_going_back_keeps_what_was_typed(make, tree):
    app = make(state=tinyllama_state(tree))
    async with app.run_test(size=(100, 30)) as pilot:
        await goto(pilot, "experiment")
        await focus_input(pilot, "exp-overrides-train-iters")
        await replace_focused(pilot, "77")
        await settle(pilot)
        await pilot.press("ctrl+b", "ctrl+b")
        await settle(pilot)
        assert app.screen.step == 1
        await pilot.press("ctrl+n", "ctrl+n")
        await settle(pilot)
        assert app.screen.query_one("#exp-overrides-train-iters", Input).value == "77"
        assert app.screen.state.answers.experiment.overrides["train_iters"] == 77


async def test_saved_answers_reopen_prefilled(make, tree, tmp_path):
    """ctrl+s writes the headless schema; `--answers F --interactive` (a state) fills every form."""
    from primus_tui.tui.screens.save_answers import SaveAnswersScreen
    from primus_tui.wizard.headless import HeadlessOptions, load_state

    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await fetch(pilot)
        await next_step(pilot)
        await next_step(pilot)
        await focus_input(pilot, "arch-num_layers")
        await replace_focused(pilot, "4")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await wait_for_modal(pilot, SaveAnswersScreen)
        await pilot.press("enter")
        await settle(pilot)
    saved = tmp_path / "answers.yaml"
    assert "num_layers: 4" in saved.read_text()

    state, _ = load_state(HeadlessOptions(answers=saved))
    again = make(state=state)
    async with again.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        wiz = again.screen
        assert wiz.query_one("#model-ref", Input).value == "TinyLlama/TinyLlama-1.1B-Chat-v1.0"
        assert wiz.query_one("#arch-num_layers", Input).value == "4"
        assert wiz.state.answers.architecture == {"num_layers": 4}


async def test_save_answers_never_clobbers_silently(make, tmp_path):
    from primus_tui.tui.screens.confirm import ConfirmScreen
    from primus_tui.tui.screens.save_answers import SaveAnswersScreen

    target = tmp_path / "answers.yaml"
    target.write_text("# mine\n")
    app = make(state=tinyllama_state(None))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await wait_for_modal(pilot, SaveAnswersScreen)
        await pilot.press("enter")
        modal = await wait_for_modal(pilot, ConfirmScreen)
        assert modal.has_class("-danger")
        await pilot.press("n")
        await settle(pilot)
    assert target.read_text() == "# mine\n"


async def test_option_a_and_b_keys_in_the_base_step(make):
    from textual.widgets import OptionList

    app = make(state=tinyllama_state(None))
    async with app.run_test(size=(100, 30)) as pilot:
        await goto(pilot, "base")
        wiz = app.screen
        olist = wiz.query_one("#base-list", OptionList)
        await pilot.press("a")
        assert wiz.view.bases[olist.highlighted].option == "A"
        await pilot.press("enter")
        await settle(pilot)
        assert wiz.state.answers.base == "language_model.yaml"
        await pilot.press("b")
        assert wiz.view.bases[olist.highlighted].option == "B"


async def test_initial_weights_from_hf_is_one_tick(make, tree):
    """The Experiment step's "initial weights" box sets experiment.init.from: hf; the file plan
    names the checkpoint folder and the experiment loads it (no screen rule: the core's plan)."""
    from primus_tui.tui.widgets.file_plan import FilePlanView
    from primus_tui.tui.widgets.tickbox import TickBox

    app = make(state=tinyllama_state(tree))
    async with app.run_test(size=(100, 30)) as pilot:
        await goto(pilot, "experiment")
        box = app.screen.query_one("#exp-init-hf", TickBox)
        box.focus()
        await pilot.press("space")
        await settle(pilot)
        state = app.screen.state
        assert state.answers.experiment.init.source == "hf"
        assert f"load: checkpoints/{state.name}" in state.experiment_yaml()
        plan = app.screen.query_one("#exp-plan", FilePlanView).query_one("#plan-lines").render()
        assert f"convert  checkpoints/{state.name}/  (HF weights; ~2.20 GB)" in str(plan)
        await pilot.press("space")
        await settle(pilot)
        assert app.screen.state.answers.experiment.init.source == "random"
        assert "load:" not in app.screen.state.experiment_yaml()



async def test_a_tick_box_fill_is_not_a_change():
    """Showing the state's value in a tick box (start-up, undo, answers file) posts no `Changed`:
    only the user's toggles reach the step as edits, so a fill never races a toggle."""
    from textual.widgets import Checkbox

    from primus_tui.tui.widgets.tickbox import TickBox

    class One(App):
        changes: list[bool] = []

        def compose(self) -> ComposeResult:
            yield TickBox("box")

        def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
            self.changes.append(event.value)

    app = One()
    async with app.run_test() as pilot:
        box = app.query_one(TickBox)
        box.fill(True)
        box.fill(False)
        box.fill(True)
        await pilot.pause()
        assert app.changes == [] and box.value is True
        box.focus()
        await pilot.press("space")
        await pilot.pause()
        assert app.changes == [False]


def test_the_file_plan_says_whose_files_are_blocked():
    """With an opened experiment on screen, "Blocked by 1 problem(s)" read as if the launch were
    blocked: the line names the wizard's own files."""
    from primus_tui.tui.view import StateView
    from primus_tui.wizard.problems import Problem

    view = StateView(problems=[Problem("model", "no model chosen"), Problem("name", "a warning", "warning")])
    assert view.write_blocked.startswith("The wizard's files cannot be written yet: 1 problem(s): ")
    assert "no model chosen" in view.write_blocked
    view.plan = object()
    assert view.write_blocked == ""
