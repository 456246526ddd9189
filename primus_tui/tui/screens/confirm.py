"""Yes/no modal for anything that writes, overwrites or launches: the answer is the screen result."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask once; `y`/`n`/`escape` or the buttons. Dangerous questions focus "No" first."""

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
    }

    #dialog {
        width: 80%;
        max-width: 90;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }

    ConfirmScreen.-danger #dialog {
        border: thick $error;
    }

    #dialog-title {
        text-style: bold;
        margin-bottom: 1;
    }

    #dialog-body {
        height: auto;
        max-height: 16;
    }

    #dialog-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }

    #dialog-buttons Button {
        margin-left: 1;
    }
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, body: str = "", *, yes: str = "Yes", no: str = "Cancel", danger: bool = False) -> None:
        super().__init__(classes="-danger" if danger else None)
        self._title = title
        self._body = body
        self._yes = yes
        self._no = no
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._title, id="dialog-title", markup=False)
            if self._body:
                with VerticalScroll(id="dialog-body"):
                    yield Static(self._body, markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button(Content(f"{self._yes} (y)"), id="yes", variant="error" if self._danger else "primary")
                yield Button(Content(f"{self._no} (n)"), id="no")

    # Rows the dialog needs around its body: border 2, padding 2, title 2, buttons 3 + margin 1.
    CHROME_ROWS = 10

    def on_mount(self) -> None:
        self.query_one("#no" if self._danger else "#yes", Button).focus()
        self._fit_body()

    def on_resize(self) -> None:
        self._fit_body()

    def _fit_body(self) -> None:
        """The body scrolls so the buttons always fit on screen (a diff can be longer than 24 rows)."""
        for body in self.query("#dialog-body"):
            body.styles.max_height = max(2, min(16, int(self.size.height * 0.9) - self.CHROME_ROWS))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
