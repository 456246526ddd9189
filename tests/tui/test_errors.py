"""Error paths shown in the UI, in place, never as tracebacks."""

from __future__ import annotations

import os
import threading

from primus_tui.hf import HFError
from primus_tui.tui.screens.confirm import ConfirmScreen
from primus_tui.tui.widgets.field_row import FieldRow
from primus_tui.tui.widgets.step_model import ModelStep
from tui_helpers import (
    TINYLLAMA,
    answer,
    fake_command,
    fetch,
    goto,
    next_step,
    set_field,
    settle,
    tinyllama_state,
    type_text,
    wait_for_modal,
)


def model_error(app) -> str:
    box = app.screen.query_one("#model-error")
    return str(box.content) if box.display else ""


async def test_bad_repo_id_shown_in_place_and_next_disabled(make):
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await fetch(pilot, "not a repo!!")
        assert "is not a Hugging Face repo id" in model_error(app)
        assert not app.screen.can_advance()
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.screen.step == 0
        # never silent: the notification says what to fix first
        assert any("Fetch a model first" in n.message or "Fix this first" in n.message for n in app._notifications)


async def test_offline_not_cached_says_how_to_fix(make):
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await fetch(pilot, "meta-llama/Llama-3.3-70B-Instruct")
        text = model_error(app)
        assert "not in the Hugging Face cache" in text and "HF_HUB_OFFLINE" in text
        assert app.screen.state.hf is None


async def test_gated_repo_message_from_the_fetcher(make):
    def gated(ref, revision=None):
        raise HFError(f"{ref}: gated repository; accept its terms on huggingface.co/{ref}, then run `hf auth login` or set HF_TOKEN")

    app = make(fetch_config=gated)
    async with app.run_test(size=(100, 30)) as pilot:
        await fetch(pilot, "meta-llama/Llama-3.1-8B")
        assert "gated repository" in model_error(app) and "hf auth login" in model_error(app)


async def test_fetch_is_cancellable(make):
    release = threading.Event()

    def slow(ref, revision=None):
        release.wait(10)
        raise AssertionError("a cancelled fetch's result must be dropped")

    app = make(fetch_config=slow)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, TINYLLAMA)
        await pilot.press("enter")
        await pilot.pause()
        wiz = app.screen
        assert wiz.fetching and wiz.query_one(ModelStep).spinning
        await pilot.press("escape")
        await pilot.pause()
        assert not wiz.fetching and not wiz.query_one(ModelStep).spinning
        assert "cancelled" in model_error(app)
        release.set()
        await settle(pilot)
        assert wiz.state.hf is None


async def test_validation_errors_per_field_and_across_fields(make):
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await fetch(pilot)
        await next_step(pilot)
        await next_step(pilot)
        wiz = app.screen
        assert wiz.step == 2
        await set_field(pilot, "arch-num_attention_heads", "abc")
        row = wiz.query_one("#arch-num_attention_heads").parent.parent
        assert isinstance(row, FieldRow) and row.message
        assert wiz.view.errors and not wiz.can_advance()
        assert wiz.query_one("#problems").has_class("-errors")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert wiz.step == 2
        assert any("Fix this first: architecture.num_attention_heads" in n.message for n in app._notifications)

        await set_field(pilot, "arch-num_attention_heads", "32")
        await set_field(pilot, "arch-num_query_groups", "5")  # 32 heads are not divisible by 5 groups
        assert [p.path for p in wiz.view.errors] == ["architecture.num_query_groups"], wiz.view.errors
        groups_row = wiz.query_one("#arch-num_query_groups").parent.parent
        assert "not divisible" in groups_row.message
        await pilot.press("ctrl+n")
        assert wiz.step == 2  # gated

        await set_field(pilot, "arch-hidden_size", "2050")  # Megatron accepts it with kv_channels: a warning
        assert any(p.severity == "warning" and "kv_channels" in p.path for p in wiz.view.problems)
        await set_field(pilot, "arch-hidden_size", "2048")
        await set_field(pilot, "arch-num_query_groups", "4")
        assert not wiz.view.errors
        assert wiz.state.answers.architecture == {}  # back at the HF values: no edits recorded


async def test_write_refused_keeps_the_existing_file(make, tree):
    # A typed name that is a hand-written file's (a derived name would avoid it: wizard/naming.py).
    state = tinyllama_state(tree).with_name("tinyllama_1.1b_chat_v1.0")
    target = tree / state.model_rel
    target.write_text("# hand-written, must survive\n")
    app = make(state=state)
    async with app.run_test(size=(100, 30)) as pilot:
        await goto(pilot, "launch")
        await pilot.press("ctrl+o")
        modal = await wait_for_modal(pilot)
        assert modal.has_class("-danger")
        assert app.focused.id == "no"  # dangerous question: "Keep" is the default
        await answer(pilot, "n")
        await settle(pilot)
        assert "Write refused" in app.screen.launch_pane.message
    assert target.read_text() == "# hand-written, must survive\n"


async def test_write_failed_is_reported(make, tree):
    state = tinyllama_state(tree)
    (tree / state.model_rel).mkdir()  # a folder where the model YAML should go
    app = make(state=state)
    async with app.run_test(size=(100, 30)) as pilot:
        await goto(pilot, "launch")
        await pilot.press("ctrl+o")
        await settle(pilot)
        wiz = app.screen
        assert "is a directory" in wiz.launch_pane.message
        assert not isinstance(app.screen, ConfirmScreen)


async def write_and_launch(pilot) -> None:
    await goto(pilot, "launch")
    await pilot.press("ctrl+r")
    await answer(pilot, "y")  # write
    await answer(pilot, "y")  # launch


async def test_launch_that_cannot_start(make, tree):
    app = make(state=tinyllama_state(tree), build_command=lambda state, mode: ["/nonexistent/primus-cli", "direct"])
    async with app.run_test(size=(100, 30)) as pilot:
        await write_and_launch(pilot)
        await settle(pilot)
        wiz = app.screen
        status = wiz.query_one("#run-status")
        assert status.state == "failed" and "did not start" in str(status.content)
        assert not wiz.view.checklist[3].done and "failed" in wiz.view.checklist[3].reason


CRASH = r"""
import sys
print(" iteration        1/       5 | consumed samples: 8 | lm loss: 6.25E+00 | throughput per GPU (TFLOP/s/GPU): 0.1 |", flush=True)
print("Traceback (most recent call last):", flush=True)
print("RuntimeError: rank 0 crashed: CUDA error: out of memory", flush=True)
sys.exit(3)
"""


async def test_run_crash_shows_exit_code_and_last_lines(make, tree):
    app = make(state=tinyllama_state(tree), build_command=fake_command(CRASH))
    async with app.run_test(size=(100, 30)) as pilot:
        await write_and_launch(pilot)
        await settle(pilot)
        wiz = app.screen
        status = wiz.query_one("#run-status")
        text = str(status.content)
        assert status.state == "failed" and "exit 3" in text and "RuntimeError: rank 0 crashed" in text
        assert wiz.last_run.returncode == 3
        assert wiz.launch_pane.run_panel.last_step.iteration == 1
        assert not wiz.view.checklist[3].done


SLEEPER = r"""
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(f"child {child.pid}", flush=True)
for i in range(600):
    print(f" iteration {i + 1:8d}/     600 | lm loss: {6 - i / 100:.4E} |", flush=True)
    time.sleep(0.1)
"""


async def test_cancel_stops_the_whole_process_group(make, tree):
    app = make(state=tinyllama_state(tree), build_command=fake_command(SLEEPER))
    async with app.run_test(size=(100, 30)) as pilot:
        await write_and_launch(pilot)
        wiz = app.screen
        for _ in range(100):
            await pilot.pause(0.05)
            if wiz.launch_pane.run_panel.last_step is not None:
                break
        assert wiz.running and wiz.check_action("cancel_run", ()) is True
        log = wiz.launch_pane.run_panel.log
        log.flush()
        child_pid = int(next(line for line in log.lines if line.startswith("child")).split()[1])
        await pilot.press("ctrl+x")
        await settle(pilot)
        assert not wiz.running
        status = wiz.query_one("#run-status")
        assert status.state == "cancelled"
    for _ in range(50):  # the grandchild got SIGTERM with its group
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            break
        else:
            if open(f"/proc/{child_pid}/stat").read().split()[2] == "Z":
                break
        threading.Event().wait(0.1)
    else:
        raise AssertionError(f"child {child_pid} survived the cancel")


async def test_dry_run_through_primus_cli(make, tree):
    app = make(state=tinyllama_state(tree))
    async with app.run_test(size=(100, 30)) as pilot:
        await goto(pilot, "launch")
        wiz = app.screen
        wiz.query_one("#launch-dry-run").focus()
        await pilot.press("space")
        await pilot.press("ctrl+r")
        await answer(pilot, "y")
        await wait_for_modal(pilot)
        modal_title = str(app.screen.query_one("#dialog-title").content)
        assert "Dry run" in modal_title
        await answer(pilot, "y")
        await settle(pilot)
        assert wiz.last_run.returncode == 0, wiz.last_run
        assert wiz.query_one("#run-status").state == "finished"
        items = wiz.view.checklist
        assert [i.done for i in items] == [True, True, True, False]
        assert "dry run" in items[3].reason
