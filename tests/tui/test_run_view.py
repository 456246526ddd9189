"""The run view: recorded real Megatron log lines through the panel, wrap / search / maximise keys,
cancel in one line, quit asks during a run, ctrl+e opens and launches any experiment, ctrl+y, the
log file flushed while the run writes, and snapshots at 120x36 and 80x24."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from primus_tui.launch.metrics import RunMetrics
from primus_tui.plan.gpus import gpu_kind
from primus_tui.tui.screens.confirm import ConfirmScreen
from primus_tui.tui.widgets.log_pane import LogView
from tui_helpers import answer, fake_command, goto, no_blink, settle, tinyllama_state, wait_for_modal, wizard

LOGS = Path(__file__).resolve().parents[1] / "fixtures" / "logs"
MEGATRON = (LOGS / "megatron_llama3_8b_mi300x.log").read_text().splitlines()
SIZES = [(120, 36), (80, 24)]


RECORDED = (LOGS / "megatron_r0.10_4090_recorded.log").read_text().splitlines()  # not ours: see its README


async def show_megatron_log(pilot, maximise: bool = False, lines: list[str] = MEGATRON, gpu: str | None = "mi300x",
                            world: int = 8) -> None:
    """The run panel fed a Megatron-LM log excerpt, as a run would feed it."""
    await goto(pilot, "launch")
    wiz = wizard(pilot)
    panel = wiz.launch_pane.run_panel
    panel.display = True
    panel.reset(RunMetrics(gpu=gpu_kind(gpu) if gpu else None, world=world))
    panel.set_status("running", "run: primus-cli direct …", ["log: output/primus-tui-logs/llama3.1_8B.log"])
    half = len(lines) // 2
    panel.ingest(lines[:half])
    panel.ingest(lines[half:])
    panel.drain(limit=None)
    panel.plots.redraw()
    await pilot.pause()
    wiz.launch_pane.scroll_to_widget(panel, animate=False, top=True)
    if maximise:
        await pilot.press("ctrl+l")
    no_blink(pilot)
    await pilot.pause()


async def test_real_megatron_log_fills_headline_plots_and_log(make, tree):
    app = make(state=tinyllama_state(tree))
    async with app.run_test(size=(120, 36)) as pilot:
        await show_megatron_log(pilot)
        panel = wizard(pilot).launch_pane.run_panel
        head = panel.metrics.headline()
        assert (head.iteration, head.train_iters, head.world) == (20, 20, 8)
        assert head.tokens_per_s_device == pytest.approx(128 * 8192 / (head_ms(panel) / 1000) / 8)
        assert head.skipped == 1 and head.nan == 1 and head.memory.max_allocated_mb == 148812.66
        text = str(panel.query_one("#run-headline").render())
        assert "tok/s/GPU x 8" in text and "MFU" in text and "skipped 1  NaN 1" in text
        assert len(panel.metrics.loss) == 19  # iteration 13 logged no loss (NaN)
        assert str(panel.query_one("#run-iter").render()).startswith("iteration 20/20")


async def test_a_recorded_log_of_another_megatron_fills_the_view(make, tree):
    """A log recorded by someone else's Megatron-LM r0.10 run (8 x RTX 4090, TP 1 PP 4): leading
    spaces, r0.10's `throughput per GPU` field, and memory lines of several ranks printed into one."""
    app = make(state=tinyllama_state(tree))
    async with app.run_test(size=(120, 36)) as pilot:
        await show_megatron_log(pilot, lines=RECORDED, gpu=None, world=8)
        panel = wizard(pilot).launch_pane.run_panel
        head = panel.metrics.headline()
        assert (head.iteration, head.train_iters) == (10, 5000)
        assert panel.metrics.last.tflops_per_gpu == 117.6 and panel.metrics.last.lm_loss == 9.947481
        assert head.memory.max_allocated_mb == 15754.88818359375  # rank 0's line, the last one printed
        assert len(panel.metrics.loss) == 10 and head.skipped == 0 and head.nan == 0
        assert str(panel.query_one("#run-iter").render()).startswith("iteration 10/5000")
        assert RECORDED[-1].strip() in "".join(panel.log.lines)


def head_ms(panel) -> float:
    return panel.metrics.last.elapsed_ms


async def test_every_log_line_is_readable_wrapped_or_scrolled(make, tree):
    app = make(state=tinyllama_state(tree))
    async with app.run_test(size=(80, 24)) as pilot:
        await show_megatron_log(pilot)
        log = wizard(pilot).launch_pane.run_panel.log
        width = log.scrollable_content_region.width
        iteration = next(line for line in MEGATRON if "iteration       20/" in line)
        assert len(iteration) > 2 * width and log.wrap
        assert all(len(row) <= width for row in log.lines)
        assert iteration in "".join(log.lines)  # every character of the line is on screen rows
        await pilot.press("ctrl+t")  # one row per line: scrolled sideways instead
        await pilot.pause()
        assert not log.wrap and list(log.lines) == MEGATRON
        assert log.max_scroll_x > 0
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert log.wrap and iteration in "".join(log.lines)


async def test_search_finds_next_and_previous(make, tree):
    app = make(state=tinyllama_state(tree))
    async with app.run_test(size=(120, 36)) as pilot:
        await show_megatron_log(pilot)
        await pilot.press("ctrl+t")  # one row per line: row numbers are line numbers
        view = wizard(pilot).launch_pane.run_panel.log_view
        await pilot.press("ctrl+f")
        assert view.has_class("-searching") and app.focused.id == "log-search"
        await pilot.press(*"memory (MB)")
        await pilot.press("enter")
        await pilot.pause()
        assert view.log.lines[view.match].startswith("[Rank 0] (after 1 iterations) memory (MB)")
        await pilot.press("escape")
        assert not view.has_class("-searching") and app.focused is view.log
        view.query_text = "nan iterations:   1"
        view.log.set_query(view.query_text)
        view.match = None
        await pilot.press("f3")
        hit = view.match
        assert "iteration       13/" in view.log.lines[hit]
        await pilot.press("shift+f3")  # the only match: previous wraps around to it
        assert view.match == hit
        assert "1 rows match" in str(view.query_one("#log-search-status").render())


async def test_maximise_fills_the_screen_and_escape_restores(make, tree):
    app = make(state=tinyllama_state(tree))
    async with app.run_test(size=(120, 36)) as pilot:
        await show_megatron_log(pilot, maximise=True)
        wiz = wizard(pilot)
        assert isinstance(wiz.maximized, LogView)
        assert wiz.maximized.size.height >= 30
        await pilot.press("escape")
        await pilot.pause()
        assert wiz.maximized is None


async def test_plot_cycles_through_throughput_grad_norm_lr(make, tree):
    app = make(state=tinyllama_state(tree))
    async with app.run_test(size=(120, 36)) as pilot:
        await show_megatron_log(pilot)
        plots = wizard(pilot).launch_pane.run_panel.plots
        assert plots.right_view.title == "throughput"
        await pilot.press("ctrl+g")
        assert plots.right_view.title == "grad norm"
        await pilot.press("ctrl+g", "ctrl+g")
        assert plots.right_view.title == "throughput"


# A torchrun-like job: on SIGTERM it pours a traceback out, then exits 143 (as primus-cli does).
TRACEBACK_ON_TERM = r"""
import signal, sys, time
from pathlib import Path
def term(*_):
    print("Traceback (most recent call last):", flush=True)
    print("torch.distributed.elastic.multiprocessing.api.SignalException: Process 1 got signal: 15", flush=True)
    sys.exit(143)
signal.signal(signal.SIGTERM, term)
print(" iteration        1/     600 | lm loss: 6.0E+00 |", flush=True)
Path("started").write_text("1")
while True:
    time.sleep(0.05)
"""


async def wait_running(pilot, limit: int = 400) -> None:
    wiz = wizard(pilot)
    for _ in range(limit):
        await pilot.pause(0.02)
        if wiz.running and wiz.launch_pane.run_panel.last_step is not None:
            return
    raise AssertionError("the run did not start")


async def launch(pilot) -> None:
    await goto(pilot, "launch")
    await pilot.press("ctrl+r")
    await answer(pilot, "y")  # write
    await answer(pilot, "y")  # launch (TinyLlama at seq 2048 does not fit: "Launch anyway?")


async def test_cancel_shows_one_line_and_keeps_the_traceback_in_the_log_file(make, tree, tmp_path):
    app = make(state=tinyllama_state(tree), build_command=fake_command(TRACEBACK_ON_TERM))
    async with app.run_test(size=(120, 36)) as pilot:
        await launch(pilot)
        await wait_running(pilot)
        wiz = wizard(pilot)
        log_path = wiz.process.log_path
        assert "iteration        1/" in log_path.read_text()  # flushed while the run writes
        await pilot.press("ctrl+x")
        await settle(pilot)
        panel = wiz.launch_pane.run_panel
        assert panel.query_one("#run-status").state == "cancelled"
        first, *rest = panel.status.splitlines()
        assert first.endswith("cancelled, exit 143") and [r.split(":")[0] for r in rest] == ["  log saved"], panel.status
        assert wiz.last_run.tail == [" iteration        1/     600 | lm loss: 6.0E+00 |"]
        panel.log.flush()
        assert not any("Traceback" in row or "SignalException" in row for row in panel.log.lines)
        assert "SignalException" in log_path.read_text()


async def test_quit_during_a_run_asks_first(make, tree):
    app = make(state=tinyllama_state(tree), build_command=fake_command(TRACEBACK_ON_TERM))
    async with app.run_test(size=(120, 36)) as pilot:
        await launch(pilot)
        await wait_running(pilot)
        wiz = wizard(pilot)
        run = wiz.process
        await pilot.press("ctrl+q")
        modal = await wait_for_modal(pilot, ConfirmScreen)
        assert "run is in progress" in str(modal.query_one("#dialog-title").render())
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and wiz.running
        await pilot.press("ctrl+q")
        await answer(pilot, "y")
        await pilot.pause()
    run.proc.wait(timeout=10)
    assert run.cancelled and run.proc.returncode == 143


async def test_ctrl_e_opens_the_tiny_cpu_example_launches_it_and_plots_the_loss(make, tree):
    """make run -> ctrl+e -> the tiny CPU example -> launch -> loss plotted (a real primus-cli run)."""
    from primus_tui.tui.screens.open_experiment import OpenExperimentScreen

    app = make(state=tinyllama_state(tree))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+e")
        modal = await wait_for_modal(pilot, OpenExperimentScreen)
        assert any(p.name == "tiny_llama-pretrain.yaml" for p in modal.experiments)
        await pilot.press(*"CPU", "space", *"tiny")
        await pilot.pause()
        assert [p.name for p in modal.shown] == ["tiny_llama-pretrain.yaml"]
        await pilot.press("enter")
        dialog = await wait_for_modal(pilot, ConfirmScreen)
        body = str(dialog.query_one("#dialog-body Static").render())
        assert "examples/megatron/configs/CPU/tiny_llama-pretrain.yaml" in body and "memory: CPU: needs ~" in body
        await answer(pilot, "y")
        await settle(pilot)
        wiz = wizard(pilot)
        assert wiz.last_run is not None and wiz.last_run.ok, (wiz.last_run, wiz.launch_pane.run_panel.log.lines[-20:])
        metrics = wiz.launch_pane.run_panel.metrics
        assert len(metrics.loss) == 12 and metrics.headline().unit == "CPU"
        assert "tok/s/CPU" in str(wiz.launch_pane.run_panel.query_one("#run-headline").render())
        await pilot.press("ctrl+y")
        copied = app.clipboard
        assert copied == (f"cd {tree} && ./primus-cli direct -- train pretrain "
                          "--config examples/megatron/configs/CPU/tiny_llama-pretrain.yaml")
        assert "./primus-cli direct -- train pretrain --config examples/megatron/configs/CPU/tiny_llama-pretrain.yaml" \
            in str(wiz.launch_pane.query_one("#launch-command").render())


async def test_run_keys_are_in_help_and_palette(make):
    from primus_tui.tui.commands import palette_entries
    from primus_tui.tui.keys import RUN_KEYS
    from primus_tui.tui.screens.help import HELP_TEXT

    titles = {e.title: e.action for e in palette_entries()}
    for key in RUN_KEYS:
        assert titles[key.title] == key.action and key.shown_key in HELP_TEXT
    app = make()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        bound = {b.action for b in wizard(pilot).BINDINGS}
        assert {k.action for k in RUN_KEYS} <= bound


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("maximise", [False, True], ids=["panel", "maximised"])
def test_run_view_snapshot(snap_compare, hf_cache, tmp_path, monkeypatch, size, maximise):
    from primus_tui.tui.app import make_app

    monkeypatch.chdir(tmp_path)
    app = make_app(state=tinyllama_state(None), primus_root=None, log_dir=tmp_path / "logs",
                   answers_path=tmp_path / "a.yaml")

    async def run_before(pilot):
        await settle(pilot)
        await show_megatron_log(pilot, maximise=maximise)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_log_file_is_flushed_line_by_line_while_the_run_writes(tmp_path):
    """The runner's log file: `tail -f` sees each line as it is printed, not at exit."""
    import threading

    from primus_tui.launch.runner import GroupRun

    script = "import sys, time\nprint('first', flush=True)\ntime.sleep(30)\n"
    run = GroupRun([sys.executable, "-c", script], cwd=tmp_path, log_path=tmp_path / "run.log", grace=1)
    thread = threading.Thread(target=run.run)
    thread.start()
    try:
        for _ in range(200):
            if (tmp_path / "run.log").exists() and (tmp_path / "run.log").read_text() == "first\n":
                break
            threading.Event().wait(0.02)
        assert (tmp_path / "run.log").read_text() == "first\n" and run.running
    finally:
        run.cancel()
        thread.join(10)
    assert not run.running and run.cancelled
