"""Every resolved key with its value and source file:line; a filter box; shadowed keys highlighted,
keys Megatron will not read (inert or unknown) struck through with the reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Label

from primus_tui.tui.widgets.inputs import OrderedInput

KEY_WIDTH, VALUE_WIDTH = 30, 14


@dataclass(frozen=True)
class KeyRow:
    """One row: dotted key, value as YAML, where it came from, and why it is notable."""

    key: str
    value: str
    source: str
    shadowed: bool = False
    note: str = ""
    dead: bool = False  # Megatron (through Primus) never reads it for this model
    full_source: str = ""  # the column shows a short form; the detail line shows this
    history: tuple[str, ...] = ()  # earlier values, oldest first: "4096 (llama_base.yaml:20)"

    def detail(self) -> str:
        """Everything the columns may clip: the full key, value and source, its history and note."""
        lines = [f"{self.key} = {self.value}  ← {self.full_source or self.source}"]
        if self.history:
            lines.append("was: " + " → ".join(self.history))
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


class ResolvedTable(Vertical):
    """Type in the filter to narrow by key, value or source (substring, case-insensitive)."""

    DEFAULT_CSS = """
    ResolvedTable { height: 1fr; }
    ResolvedTable DataTable { height: 1fr; }
    ResolvedTable #key-count { color: $text-muted; }
    ResolvedTable #key-filter { margin-top: 1; }
    ResolvedTable #key-detail { color: $text-muted; height: auto; max-height: 5; width: 100%; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[KeyRow] = []
        self.shown: list[KeyRow] = []

    def compose(self) -> ComposeResult:
        yield OrderedInput(placeholder="/ filter: key, value or source (e.g. seq_length, shadowed)", id="key-filter", compact=True)
        yield Label("", id="key-count")
        yield DataTable(id="key-table", cursor_type="row", zebra_stripes=True)
        yield Label("", id="key-detail")  # the highlighted row in full: source, history, note

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("key", width=KEY_WIDTH, key="key")
        table.add_column("value", width=VALUE_WIDTH, key="value")
        table.add_column("source", key="source")
        self.watch(self.app, "theme", lambda _: self._refill(), init=False)

    def set_rows(self, rows: Sequence[KeyRow]) -> None:
        rows = list(rows)
        if rows == self.rows:
            return
        self.rows = rows
        self._refill()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._refill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(DataTable).focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        row = self.shown[event.cursor_row] if 0 <= event.cursor_row < len(self.shown) else None
        self.query_one("#key-detail", Label).update(row.detail() if row else "")

    def _refill(self) -> None:
        needle = self.query_one("#key-filter", Input).value.strip().lower()
        if needle:
            shown = [r for r in self.rows if needle in _haystack(r)]
        else:
            shown = self.rows
        self.shown = shown
        table = self.query_one(DataTable)
        table.clear()
        # DataTable measures rich Text (not Content); colours come from the current theme.
        theme = self.app.theme_variables
        colors = (theme.get("text-warning", "yellow"), theme.get("text-muted", "grey50"))
        table.add_rows(_cells(r, colors) for r in shown)
        shadowed = sum(r.shadowed for r in self.rows)
        dead = sum(r.dead for r in self.rows)
        extra = (f", {shadowed} shadowed" if shadowed else "") + (f", {dead} dead (filter: dead)" if dead else "")
        self.query_one("#key-count", Label).update(f"{len(shown)} of {len(self.rows)} keys{extra}")


def _cells(row: KeyRow, colors: tuple[str, str]) -> tuple:
    warning, muted = colors
    if row.shadowed:
        key = Text(_clip(f"! {row.key}", KEY_WIDTH), style=f"bold {warning}")
        source = Text(f"{row.source}  ({row.note})" if row.note else row.source, style=warning)
        return key, Text(_clip(row.value, VALUE_WIDTH)), source
    if row.dead:
        source = Text(f"{row.source}  ({row.note})" if row.note else row.source, style=muted)
        return Text(_clip(row.key, KEY_WIDTH), style=f"strike {muted}"), Text(_clip(row.value, VALUE_WIDTH), style=muted), source
    return Text(_clip(row.key, KEY_WIDTH)), Text(_clip(row.value, VALUE_WIDTH)), Text(row.source, style=muted)


def _haystack(row: KeyRow) -> str:
    """What the filter searches: key, value, sources (earlier ones too), note, and the row's flags."""
    flags = ("shadowed" if row.shadowed else "") + (" dead" if row.dead else "")
    return "\0".join((row.key, row.value, row.full_source or row.source, *row.history, row.note, flags)).lower()


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
