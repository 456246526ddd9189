"""Launch and the run view, mixed into the wizard screen: ask (with the memory verdict), run, watch.

The process is the core's `GroupRun` (launch/runner.py, the same runner headless uses), run in a
thread; its line batches go to `RunPanel.ingest` and are drained on the UI thread. Keys of the
run view are declared in `tui/keys.py`; their actions are here.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from textual import work

from primus_tui.launch.command import command_text, display_argv
from primus_tui.tui.screens.flows import _shown, error_text


class LaunchAndRun:
    """Launch the written experiment or any experiment of the tree; stream it into the run panel."""

    # -- launch the wizard's experiment ---------------------------------------------------------
    def action_launch(self) -> None:
        self._launch_worker(self.launch_pane.dry_run)

    def action_dry_run(self) -> None:
        self._launch_worker(True)

    @work(exclusive=True, group="launch", exit_on_error=False)
    async def _launch_worker(self, dry_run: bool) -> None:
        if self.running:
            return
        self.action_goto("launch")  # the run panel is on step 6
        if not await self.write_files():
            return
        mode = "dry-run" if dry_run else "run"
        self.set_state(self.state.with_launch(mode), "launch.mode")
        state = self.state
        try:
            argv = self.app.collab.build_command(state, mode)
        except Exception as exc:  # noqa: BLE001 - shown in place, never a traceback
            self.launch_pane.set_message(f"Cannot build the launch command: {error_text(exc)}", "error")
            return
        await self._confirm_and_run(state, mode, argv, state.root / state.experiment_rel, state.experiment_file,
                                    list(state.answers.launch.overrides))

    # -- open any experiment of the tree (ctrl+e) -----------------------------------------------
    def action_open_experiment(self) -> None:
        self._open_worker()

    @work(exclusive=True, group="launch", exit_on_error=False)
    async def _open_worker(self) -> None:
        from primus_tui.launch import build_command
        from primus_tui.launch.experiments import list_experiments
        from primus_tui.tui.screens.open_experiment import OpenExperimentScreen

        if self.running:
            self.notify("A run is in progress: cancel it first (ctrl+x).", severity="warning")
            return
        await self.panes_ready.wait()
        state = self.state
        root = Path(state.root)
        found = list_experiments(root)
        if not found:
            self.notify(f"No experiments under {root}/examples.", severity="warning")
            return
        chosen = await self.app.push_screen_wait(OpenExperimentScreen(found, root))
        if chosen is None:
            return
        self.action_goto("launch")
        launch = state.answers.launch
        rel = Path(chosen).relative_to(root) if Path(chosen).is_relative_to(root) else Path(chosen)
        mode = "dry-run" if self.launch_pane.dry_run else "run"
        argv = build_command(root, rel, dry_run=mode == "dry-run", single=launch.single,
                             env=dict(launch.env) or None)
        await self._confirm_and_run(state, mode, argv, Path(chosen), rel.name, [], record=False)

    # -- shared: the question, then the run ------------------------------------------------------
    async def _confirm_and_run(self, state: Any, mode: str, argv: list[str], config: Path, label: str | None,
                               overrides: list[str], record: bool = True) -> None:
        from primus_tui.launch.memcheck import check_experiment
        from primus_tui.launch.preflight import training_extra_note
        from primus_tui.plan.guard import ALLOW_ENV
        from primus_tui.tui.screens.confirm import ConfirmScreen

        pane = self.launch_pane
        root = Path(state.root)
        self.last_command = (argv, root)
        pane.show_command(argv, root)
        extra: dict[str, str] = {}
        launch = state.answers.launch
        env = {**os.environ, **dict(self.app.collab.run_env or {}), **launch.env}
        lines = [" ".join(display_argv(argv, root)), f"in {root}"]
        danger = False
        title = ("Dry run primus-cli (prints the command and config, trains nothing)?" if mode == "dry-run"
                 else "Launch primus-cli?")
        if mode == "run":
            missing = training_extra_note()
            if missing:
                pane.set_message(f"Not launched: {missing}", "error")
                return
            verdict = await asyncio.to_thread(check_experiment, config, root, overrides, env=env,
                                              single=launch.single, gpu=launch.gpu)
            lines.append(f"memory: {verdict.message}")
            if verdict.blocks:
                danger = True
                title = "It will not fit in this machine's memory. Launch anyway?"
                extra[ALLOW_ENV] = "1"
        ok = await self.app.push_screen_wait(
            ConfirmScreen(title, "\n\n".join(lines), yes="Launch anyway" if danger else "Launch", danger=danger))
        if not ok:
            pane.set_message("Not launched.")
            return
        self._run_worker(state, mode, argv, extra, label, record)

    @work(exclusive=True, group="run", exit_on_error=False)
    async def _run_worker(self, state: Any, mode: str, argv: list[str], extra_env: dict[str, str],
                          label: str | None = None, record: bool = True) -> None:
        from primus_tui.launch.memcheck import device, ranks
        from primus_tui.launch.metrics import RunMetrics
        from primus_tui.launch.runner import GroupRun
        from primus_tui.plan.gpus import gpu_kind

        pane = self.launch_pane
        panel = pane.run_panel
        launch = state.answers.launch
        env = {**os.environ, **dict(self.app.collab.run_env or {}), **extra_env}
        kind, _ = device(env, launch.gpu)
        metrics = RunMetrics(gpu=gpu_kind(kind) if kind and kind != "cpu" else None,
                             world=ranks(env, launch.single))
        panel.reset(metrics)
        log_path = self._log_path(state, label)
        run = GroupRun(argv, cwd=state.root, env=env, log_path=log_path, on_lines=panel.ingest)
        self.process = run
        self.running = True
        pane.set_running(True)
        self.refresh_bindings()
        panel.set_status("running", f"{mode}: {Path(argv[0]).name} {' '.join(argv[1:3])} …",
                         [f"log: {_shown(log_path, state.root)}"])
        try:
            result = await asyncio.to_thread(run.run)
        finally:
            if run.running:
                run.cancel()  # the worker was cancelled (the app is closing): stop the whole group
            self.running = False
            self.process = None
            pane.set_running(False)
            self.refresh_bindings()
        panel.drain(limit=None)
        self.last_run = result
        self._show_result(panel, mode, result, state.root)
        if record:
            self.set_state(self.state.with_run_result(mode, result.exit_code, argv), "run")

    def _show_result(self, panel: Any, mode: str, result: Any, root: Any = None) -> None:
        where = [f"log saved: {_shown(result.log_path, root)}"] if result.log_path else []
        if result.error:
            panel.set_status("failed", f"{mode} {result.summary}", where)
        elif result.cancelled:
            panel.set_status("cancelled", result.summary, where)  # one line: the traceback is in the log file
        elif result.ok:
            panel.set_status("finished", f"{mode} {result.summary}, {result.lines:,} log lines", where)
        else:
            panel.set_status("failed", f"{mode} {result.summary}; last lines:", [*result.tail[-6:], *where])

    def _log_path(self, state: Any, label: str | None = None) -> Path:
        folder = self.app.collab.log_dir or (Path(state.root) / "output" / "primus-tui-logs")
        stem = Path(label or state.experiment_file or "run").stem
        return Path(folder) / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}.log"

    def action_cancel_run(self) -> None:
        if self.process is not None:
            self.process.cancel()
            self.launch_pane.run_panel.set_status("running", "cancelling: SIGTERM sent to the process group …")

    # -- the run view's keys (tui/keys.py) --------------------------------------------------------
    def action_copy_command(self) -> None:
        """Copy `cd ROOT && ./primus-cli ...`: what was launched last, else what the launch step shows."""
        if self.last_command is not None:
            argv, root = self.last_command
        elif self.state is not None and self.state.tree is not None and self.state.experiment_rel is not None:
            argv, root = self.state.command_for("dry-run" if self.launch_pane.dry_run else "run"), self.state.root
        else:
            self.notify("No launch command yet: choose a model (or ctrl+e an experiment) first.", severity="warning")
            return
        text = command_text(argv, root)
        self.app.copy_to_clipboard(text)
        self.launch_pane.show_command(argv, root)
        self.notify(text, title="Launch command copied")

    def action_maximize_log(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        self.action_goto("launch")
        pane = self.launch_pane
        pane.run_panel.display = True
        view = pane.run_panel.log_view
        view.log.focus()
        self.maximize(view, container=False)

    def action_restore_log(self) -> None:
        self.minimize()

    def action_search_log(self) -> None:
        pane = self.launch_pane
        if self.maximized is None:
            self.action_goto("launch")
        pane.run_panel.display = True
        pane.run_panel.log_view.action_search()

    def action_find_next(self) -> None:
        self.launch_pane.run_panel.log_view.action_find_next()

    def action_find_previous(self) -> None:
        self.launch_pane.run_panel.log_view.action_find_previous()

    def action_toggle_wrap(self) -> None:
        log = self.launch_pane.run_panel.log
        log.set_wrap(not log.wrap)
        self.notify("log: long lines wrapped" if log.wrap else "log: one row per line (left / right scroll)")

    def action_cycle_plot(self) -> None:
        title = self.launch_pane.run_panel.plots.cycle()
        self.notify(f"right plot: {title}")
