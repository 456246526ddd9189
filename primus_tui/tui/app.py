"""The Textual wizard app: `make_app(...)` builds it (CLI and tests alike), `run_app(...)` runs it.

Collaborators (HF fetcher, launcher command builder, environment) are passed in so tests can
use fixtures. Importing this module must stay light: no torch, no megatron, no huggingface_hub.
"""

from __future__ import annotations

import asyncio

from primus_tui.tui.startup import startup_done  # first: pauses the cyclic GC until the first frame

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App
from textual.binding import Binding

from primus_tui.tui.commands import WizardCommands


def _default_fetcher(ref: str, revision: str | None = None):
    from primus_tui.hf import fetch_config

    return fetch_config(ref, revision)


def _default_command_builder(state: Any, mode: str) -> list[str]:
    """`primus-cli direct` argv for a state and mode ("run" | "dry-run"), as the headless mode runs it."""
    return state.command_for(mode)


@dataclass
class Collaborators:
    """What the app calls outside itself; tests replace any of these."""

    fetch_config: Callable[..., Any] = _default_fetcher
    build_command: Callable[..., list[str]] = _default_command_builder
    run_env: Mapping[str, str] | None = None  # extra environment for the launched process
    log_dir: Path | None = None  # where run logs go (default: <workspace>/logs under the tree)
    answers_path: Path | None = None  # default target of ctrl+s


class PrimusWizardApp(App[int]):
    """Hosts the wizard screen; the screen does the work, the app carries collaborators."""

    CSS_PATH = "app.tcss"
    TITLE = "primus-tui"
    COMMANDS = App.COMMANDS | {WizardCommands}
    BINDINGS = [
        Binding("f1", "help", "Help", show=False),
        # Priority: focus moves while the app reads the key, so a fast typist's next keys land in
        # the next field even when the screen's own queue is busy redrawing.
        Binding("tab", "app.focus_next", "Next field", show=False, priority=True),
        Binding("shift+tab", "app.focus_previous", "Previous field", show=False, priority=True),
    ]

    def __init__(self, *, state: Any = None, primus_root: str | Path | None = None, collaborators: Collaborators | None = None) -> None:
        super().__init__()
        self.initial_state = state
        self.primus_root = Path(primus_root) if primus_root else None
        self.collab = collaborators or Collaborators()

    def get_default_screen(self):
        from primus_tui.tui.screens.wizard import WizardScreen

        return WizardScreen(state=self.initial_state, primus_root=self.primus_root)

    async def action_quit(self) -> None:
        """ctrl+q: with a run in progress, ask first; yes stops its whole process group, then quits."""
        screen = self.screen
        if getattr(screen, "running", False) and getattr(screen, "process", None) is not None:
            self._confirm_quit(screen)
            return
        self.exit()

    @work(exclusive=True, group="quit", exit_on_error=False)
    async def _confirm_quit(self, screen: Any) -> None:
        from primus_tui.tui.screens.confirm import ConfirmScreen

        ok = await self.push_screen_wait(ConfirmScreen(
            "A run is in progress. Stop it and quit?", "Yes sends SIGTERM to its whole process group, then quits.",
            yes="Stop and quit", no="Keep running", danger=True))
        if ok:
            if screen.process is not None:
                # Wait for the group to end (SIGTERM, SIGKILL after the grace): nothing outlives the app.
                self.notify("Stopping the run …", timeout=10)
                await asyncio.to_thread(screen.process.stop)
            self.exit()

    def action_help(self) -> None:
        from primus_tui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def make_app(
    state: Any = None,
    primus_root: str | Path | None = None,
    *,
    fetch_config: Callable[..., Any] | None = None,
    build_command: Callable[..., list[str]] | None = None,
    run_env: Mapping[str, str] | None = None,
    log_dir: str | Path | None = None,
    answers_path: str | Path | None = None,
) -> PrimusWizardApp:
    """The one place the app is built (posting's `make_posting`)."""
    collab = Collaborators()
    if fetch_config is not None:
        collab.fetch_config = fetch_config
    if build_command is not None:
        collab.build_command = build_command
    collab.run_env = run_env
    collab.log_dir = Path(log_dir) if log_dir else None
    collab.answers_path = Path(answers_path) if answers_path else None
    return PrimusWizardApp(state=state, primus_root=primus_root, collaborators=collab)


def run_app(state: Any = None, primus_root: str | Path | None = None, **kwargs: Any) -> int:
    """Entry for `primus-tui` / `primus-tui --answers F --interactive`; returns the exit code."""
    app = make_app(state=state, primus_root=primus_root, **kwargs)
    try:
        result = app.run()
    finally:
        startup_done()
    return int(result or 0) if app.return_code in (None, 0) else int(app.return_code)
