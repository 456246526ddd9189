"""Step 6: write the files (asks first, never clobbers), then run or dry-run `primus-cli direct`."""

from __future__ import annotations

import shlex
from typing import Any

from primus_tui.launch.command import display_argv

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Checkbox, Static

from primus_tui.tui.widgets.file_plan import FilePlanView
from primus_tui.tui.widgets.run_panel import RunPanel
from primus_tui.tui.widgets.step import StepPane
from primus_tui.tui.widgets.tickbox import TickBox


class LaunchStep(StepPane):
    """Plan, command, options, buttons, and the live run panel."""

    DEFAULT_CSS = """
    #launch-options {
        height: auto;
        margin-top: 1;
    }

    #launch-options Checkbox {
        margin-right: 2;
    }

    #launch-message {
        height: auto;
        margin-top: 1;
    }
    """

    STEP_ID = "launch"
    TITLE = "Write & Launch"
    PURPOSE = "Write both files atomically, then run the guide's verification: ./primus-cli direct -- train pretrain."

    class Action(Message):
        """A button asked the screen to run one of its actions (write / launch / dry_run / cancel_run)."""

        def __init__(self, action: str) -> None:
            super().__init__()
            self.action = action

    def compose(self) -> ComposeResult:
        yield Static(self.PURPOSE, classes="purpose")
        with Horizontal(classes="buttons"):
            yield Button("Write files ^o", id="btn-write", compact=True, variant="primary")
            yield Button("Launch ^r", id="btn-launch", compact=True, variant="success")
            yield Button("Cancel run ^x", id="btn-cancel", compact=True, variant="error", disabled=True)
        with Vertical(id="launch-options"):
            yield TickBox("dry run (--dry-run: print, train nothing)", id="launch-dry-run", compact=True)
            yield TickBox("single process (--single, no torchrun)", id="launch-single", compact=True)
        yield Static("", id="launch-command", classes="command")
        yield Static("", id="launch-extra", classes="error-box")
        yield FilePlanView(id="launch-plan")
        yield Static("", id="launch-message")
        yield RunPanel(id="run-panel")

    def fill(self, state: Any) -> None:
        launch = state.answers.launch
        self.query_one("#launch-dry-run", TickBox).fill(launch.mode == "dry-run")
        self.query_one("#launch-single", TickBox).fill(bool(launch.single))

    @property
    def dry_run(self) -> bool:
        return self.query_one("#launch-dry-run", Checkbox).value

    _last: tuple[Any, Any] | None = None

    def show(self, state: Any, view: Any) -> None:
        self._last = (state, view)
        self.query_one(FilePlanView).show_view(view)
        if self._shown_command is None and state.tree is not None and state.experiment_rel is not None:
            self._show_argv(state.command_for("dry-run" if self.dry_run else "run"), state.root)

    _shown_command: tuple[list[str], Any] | None = None  # what ctrl+e / a launch chose, else None

    def show_command(self, argv: list[str], root: Any) -> None:
        """The command a launch (or ctrl+e) is about to run, shown until the wizard's own changes."""
        self._shown_command = (argv, root)
        self._show_argv(argv, root)

    def _show_argv(self, argv: list[str], root: Any) -> None:
        command = "$ " + " ".join(shlex.quote(a) for a in display_argv(argv, root))
        self.query_one("#launch-command", Static).update(Content(command))

    def on_mount(self) -> None:
        self.run_panel.display = False  # appears with the first launch
        self.query_one("#launch-extra", Static).display = False
        self.run_worker(self._check_extra, thread=True, group="extra", exit_on_error=False)

    def _check_extra(self) -> None:
        from primus_tui.launch.preflight import training_extra_note

        note = training_extra_note()
        self.app.call_from_thread(self._show_extra, note)

    def _show_extra(self, note: str) -> None:
        box = self.query_one("#launch-extra", Static)
        box.update(Content(note))
        box.display = bool(note)

    def set_running(self, running: bool) -> None:
        if running:
            self.run_panel.display = True
            self.call_after_refresh(self.scroll_to_widget, self.run_panel, animate=False, top=True)
        focused = self.screen.focused
        self.query_one("#btn-cancel", Button).disabled = not running
        self.query_one("#btn-launch", Button).disabled = running
        self.query_one("#btn-write", Button).disabled = running
        if running and (focused is None or (isinstance(focused, Button) and focused.disabled)):
            # The focused button was just disabled: give the keys to the log (arrows scroll it).
            self.run_panel.log.focus(scroll_visible=False)

    def set_message(self, text: str, severity: str = "info") -> None:
        box = self.query_one("#launch-message", Static)
        box.set_class(severity == "error", "error-box")
        box.set_class(severity == "success", "ok-text")
        box.update(Content(text))

    @property
    def message(self) -> str:
        return str(self.query_one("#launch-message", Static).content)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        action = {"btn-write": "write", "btn-launch": "launch", "btn-cancel": "cancel_run"}.get(event.button.id or "")
        if action:
            self.post_message(self.Action(action))

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        if event.checkbox.id == "launch-single":
            value = event.value
            self.edit("launch.single", lambda s: s.with_launch(single=value))
        elif event.checkbox.id == "launch-dry-run" and self._last is not None:
            self._shown_command = None
            self.show(*self._last)

    @property
    def run_panel(self) -> RunPanel:
        return self.query_one(RunPanel)
