"""One form row: key, a one-line Input, where the value comes from, and the row's problem (if any)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widget import Widget
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.validation import Validator
from textual.widgets import Input, Label, Static

from primus_tui.tui.widgets.inputs import OrderedInput

KEY_WIDTH, WIDE_KEY_WIDTH = 24, 30  # the key column (.fr-key widths); longer keys wrap after a "_"


def wrap_key(key: str, width: int) -> str:
    """`untie_embeddings_and_output_weights` -> two lines broken after an `_`, never mid-word if avoidable."""
    lines: list[str] = []
    line = ""
    for part in key.replace("_", "_\0").split("\0"):
        if line and len(line) + len(part) > width:
            lines.append(line)
            line = ""
        while len(part) > width:  # one part longer than the column: hard break
            lines.append(part[:width])
            part = part[width:]
        line += part
    if line:
        lines.append(line)
    return "\n".join(lines)


class FieldRow(Vertical):
    """`key  [value]  source` on one line (a long key wraps); a message line below only when there is something to say.

    `source=None`: no source column, the input takes the row's width (names, paths, overrides).
    """

    DEFAULT_CSS = """
    FieldRow { height: auto; }
    FieldRow > Horizontal { height: auto; }
    FieldRow .fr-key { width: 24; color: $text; }
    FieldRow.-wide-key .fr-key { width: 30; }
    FieldRow Input { width: 1fr; max-width: 24; }
    FieldRow.-no-source Input { max-width: 100%; }
    FieldRow.-no-source .fr-source { display: none; }
    FieldRow .fr-source { width: 1fr; color: $text-muted; padding-left: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    FieldRow .fr-message { height: auto; padding-left: 24; }
    FieldRow .fr-message.-error { color: $text-error; }
    FieldRow .fr-message.-warning { color: $text-warning; }
    FieldRow.-changed .fr-key { text-style: bold; }
    """

    def __init__(
        self,
        key: str,
        value: str,
        source: str | None = None,
        *,
        label: str | None = None,
        placeholder: str = "",
        validators: list[Validator] | None = None,
        input_id: str | None = None,
        wide_key: bool = False,
    ) -> None:
        classes = "field-row" + (" -no-source" if source is None else "") + (" -wide-key" if wide_key else "")
        super().__init__(classes=classes)
        self.key = key
        self._value = value
        self._source = source or ""
        self._label = wrap_key(label or key, (WIDE_KEY_WIDTH if wide_key else KEY_WIDTH) - 1)
        self._placeholder = placeholder
        self._validators = validators or []
        self._input_id = input_id
        self._field_message = ""  # from the Input's validator
        self._state_message: tuple[str, str] = ("", "")  # (severity, text) from the core's checks
        self._ready = False  # children composed (messages can render)

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self._label, classes="fr-key")
            yield OrderedInput(
                self._value,
                placeholder=self._placeholder,
                compact=True,
                validators=self._validators,
                id=self._input_id,
                valid_empty=False,  # CoreValidator decides what a blank means
            )
            yield Label(self._source, classes="fr-source")
        yield Static("", classes="fr-message")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def value(self) -> str:
        return self.input.value

    def set_value(self, value: str) -> None:
        self._value = value
        if self._ready and self.input.value != value:
            self.input.value = value

    def set_source(self, source: str) -> None:
        if source != self._source:
            self._source = source
            if self._ready:
                self.query_one(".fr-source", Label).update(source)

    @staticmethod
    def of(widget: Widget | None) -> "FieldRow | None":
        """The row `widget` (an input, usually) sits in; None if it is not in one."""
        return next((a for a in widget.ancestors if isinstance(a, FieldRow)), None) if widget is not None else None

    @staticmethod
    def take_change(event: Input.Changed) -> "FieldRow | None":
        """The row an input change belongs to, with its own validation shown; None if not a row's."""
        row = FieldRow.of(event.input)
        if row is None:
            return None
        event.stop()
        result = event.validation_result
        row.set_field_message("" if result is None or result.is_valid else "; ".join(result.failure_descriptions))
        return row

    def set_field_message(self, text: str) -> None:
        """The Input validator's verdict (live, per keystroke)."""
        self._field_message = text
        self._render_message()

    def set_state_message(self, severity: str, text: str) -> None:
        """The core's verdict for this key (cross-field checks included)."""
        if (severity, text) != self._state_message:
            self._state_message = (severity, text)
            self._render_message()

    @property
    def message(self) -> str:
        return self._field_message or self._state_message[1]

    def _render_message(self) -> None:
        if not self._ready:
            return  # a row mounted in this same refresh: on_mount renders the message
        box = self.query_one(".fr-message", Static)
        severity, text = ("error", self._field_message) if self._field_message else self._state_message
        box.display = bool(text)
        box.set_class(severity == "error", "-error")
        box.set_class(severity == "warning", "-warning")
        box.update(Content(f"{'✖' if severity == 'error' else '⚠'} {text}") if text else "")

    def on_mount(self) -> None:
        self._ready = True
        self._render_message()
