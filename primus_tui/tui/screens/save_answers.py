"""Ask where to save the answers file (ctrl+s); the screen result is the path, or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from primus_tui.tui.widgets.inputs import OrderedInput


class SaveAnswersScreen(ModalScreen[str | None]):
    """One Input prefilled with the default path; enter saves, escape cancels."""

    DEFAULT_CSS = """
    SaveAnswersScreen {
        align: center middle;
    }

    #dialog {
        width: 80%;
        max-width: 90;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }

    #dialog-title {
        text-style: bold;
    }

    #answers-path {
        margin: 1 0;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default_path: str) -> None:
        super().__init__()
        self._default = default_path

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Save answers", id="dialog-title")
            yield Static("Replay with: primus-tui --answers FILE   (or --interactive to reopen the wizard)", classes="hint")
            yield OrderedInput(self._default, id="answers-path")
            yield Static("enter: save   escape: cancel", classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
