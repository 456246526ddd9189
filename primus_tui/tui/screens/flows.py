"""Step 6's flows, mixed into the wizard screen: write (ask, never clobber), save answers.

Every long step runs in a worker (modals are awaited there). Launch and the run view: run_flow.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import work
from textual.message import Message


class WriteAndLaunch:
    """Write the planned files and save the answers (needs a WizardScreen; launching: `LaunchAndRun`)."""

    # -- step 6: write --------------------------------------------------------------------------
    @property
    def launch_pane(self) -> Any:
        return self.pane("launch")

    async def on_launch_step_action(self, event: Message) -> None:
        event.stop()
        await self.run_action(event.action)

    def action_write(self) -> None:
        self._write_worker()

    @work(exclusive=True, group="write", exit_on_error=False)
    async def _write_worker(self) -> bool:
        return await self.write_files()

    async def write_files(self) -> bool:
        """Plan against the disk now; ask; write atomically. Returns True when the files are on disk."""
        from primus_tui import errors
        from primus_tui.tui.screens.confirm import ConfirmScreen
        from primus_tui.wizard.weights import planned_checkpoint
        from primus_tui.wizard.writeflow import recover_state, write_then_verify

        pane = self.launch_pane
        view = await self.view_ready()
        if view.errors:
            pane.set_message(f"Not written: {len(view.errors)} problem(s) to fix first: {view.errors[0]}", "error")
            return False
        state = view.state
        UserError, one_line = errors.UserError, errors.one_line  # read now: packages register error types late
        try:
            for note in recover_state(state):  # an interrupted write of a killed run: rolled back first
                self.notify(note, severity="warning", timeout=8)
            plan = state.plan()
        except UserError as exc:
            pane.set_message(f"Not written: {one_line(exc)}", "error")
            return False
        checkpoint = planned_checkpoint(state, plan.files[0].content)
        if checkpoint is not None and checkpoint.needs_force and not await self.app.push_screen_wait(
                ConfirmScreen(f"Replace {checkpoint.rel}/?", f"It {checkpoint.reason}.", yes="Replace", no="Keep",
                              danger=True)):
            pane.set_message(f"Not written: {checkpoint.rel}/ {checkpoint.reason}; kept as it was "
                             "(or set another checkpoint folder).", "error")
            return False
        if not plan.pending:
            pane.set_message("Files already written and up to date.", "success")
            self._schedule_view()
            return await self._convert_weights(state, checkpoint)
        force = False
        if plan.conflicts:
            names = ", ".join(f.display for f in plan.conflicts)
            body = "\n".join(f.diff for f in plan.conflicts)
            ok = await self.app.push_screen_wait(
                ConfirmScreen(f"Overwrite {names}? It exists and differs.", body, yes="Overwrite", no="Keep", danger=True)
            )
            if not ok:
                pane.set_message(f"Write refused: {names} exists and differs; not overwritten (nothing written).", "error")
                self._schedule_view()  # the file plan and the checklist show the file as it is on disk
                return False
            force = True
        else:
            where = state.answers.target.primus_root or "the bundled tree"
            body = plan.render(diffs=False) + f"\ninto {where}"
            if not await self.app.push_screen_wait(ConfirmScreen(f"Write {len(plan.pending)} file(s)?", body, yes="Write")):
                pane.set_message("Nothing written.")
                return False
        try:
            outcome = write_then_verify(state, plan, force=force)  # the same core flow as headless
        except UserError as exc:
            pane.set_message(f"Write failed: {one_line(exc)}", "error")
            self._schedule_view()  # the plan shows the disk as it is now
            return False
        ok = outcome.resolution is not None and not outcome.mismatches
        pane.set_message(outcome.summary(state.root), "success" if ok else "error")
        self.set_state(self.state.with_written(f.display for f in outcome.files), "write")
        return await self._convert_weights(state, checkpoint) if ok else True

    async def _convert_weights(self, state: Any, checkpoint: Any) -> bool:
        """`experiment.init.from: hf`: convert the weights into the planned folder (a child process,
        the same core call as headless), its progress in the status line."""
        import asyncio

        from primus_tui.wizard.weights import conversion_failed, conversion_run

        if checkpoint is None or checkpoint.action == "reuse":
            return True
        pane = self.launch_pane
        pane.set_message(f"Converting the HF weights into {checkpoint.rel}/ ...")

        def progress(lines: list[str]) -> None:
            self.app.call_from_thread(pane.set_message, lines[-1])

        result = await asyncio.to_thread(conversion_run(state, checkpoint, progress).run)
        if result.ok:
            pane.set_message(f"Files written; HF weights converted into {checkpoint.rel}/ (the experiment loads them).",
                             "success")
        else:
            line = conversion_failed(checkpoint, result)
            pane.set_message(line[:1].upper() + line[1:], "error")
        self._schedule_view()
        return result.ok

    # -- answers --------------------------------------------------------------------------------
    def action_save_answers(self) -> None:
        self._save_worker()

    @work(exclusive=True, group="save", exit_on_error=False)
    async def _save_worker(self) -> None:
        from primus_tui.errors import UserError, one_line
        from primus_tui.tui.screens.confirm import ConfirmScreen
        from primus_tui.tui.screens.save_answers import SaveAnswersScreen
        from primus_tui.wizard.fsio import write_files_atomic

        default = self.app.collab.answers_path or Path.cwd() / f"{self.state.name or 'primus-tui'}-answers.yaml"
        chosen = await self.app.push_screen_wait(SaveAnswersScreen(str(default)))
        if not chosen:
            return
        path = Path(chosen).expanduser().resolve()
        try:
            text = self.state.to_answers_yaml()
            if path.exists() and path.read_text(encoding="utf-8") != text:
                if not await self.app.push_screen_wait(
                    ConfirmScreen(f"Overwrite {path}?", "It exists and differs.", yes="Overwrite", no="Keep", danger=True)
                ):
                    self.notify(f"Not saved: {path} kept as it was.", severity="warning")
                    return
            write_files_atomic([(path, text)])
        except (UserError, OSError) as exc:
            self.notify(f"Answers not saved: {one_line(exc)}", severity="error", timeout=8)
            return
        self.saved_answers = path
        self.notify(f"Answers saved: {path}")


def _shown(path: Path, root: Any) -> str:
    """A path relative to the target tree when it is inside it (shorter, and what the user knows)."""
    try:
        return str(Path(path).relative_to(root)) if root is not None else str(path)
    except ValueError:
        return str(path)


def error_text(exc: BaseException | None) -> str:
    """One line for the UI: user errors as they are, anything else with its type."""
    from primus_tui.errors import UserError, one_line

    if exc is None:
        return "unknown error"
    if isinstance(exc, UserError):
        return one_line(exc)
    return f"{type(exc).__name__}: {one_line(exc)}"
