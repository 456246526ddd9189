"""The run log: a `Log` fed in time-batched chunks, wrapped or scrolled sideways, searchable.

Measured with Textual 8.2.8 (see STYLE.md): 250-line writes give ~6.7k lines/s, 5000-line writes
~81k, so lines are collected and flushed on a timer; the process reader never touches the widget.
Megatron's iteration line is ~400 characters: with `wrap` on (the default) every line is cut
into pane-wide rows so all of it is readable; off, the pane scrolls sideways (left / right).
The raw lines are kept (up to `max_lines`) so toggling wrap or resizing re-flows them.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

from rich.highlighter import Highlighter
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Log, Static

FLUSH_INTERVAL_S = 0.075


class MatchHighlighter(Highlighter):
    """Marks every occurrence of the search text (case-insensitive) in a rendered log row."""

    def __init__(self) -> None:
        self.pattern: re.Pattern[str] | None = None

    def highlight(self, text: Text) -> None:
        if self.pattern is not None:
            text.highlight_regex(self.pattern, "black on yellow")


def wrap_rows(line: str, width: int) -> list[str]:
    """A line cut into rows of at most `width` characters (no word logic: logs are not prose)."""
    if width < 1 or len(line) <= width:
        return [line]
    return [line[i:i + width] for i in range(0, len(line), width)]


class BatchedLog(Log):
    """Log that buffers `feed()` lines and writes them on a timer (and on `flush()`)."""

    DEFAULT_CSS = """
    BatchedLog { height: 1fr; }
    """

    def __init__(self, *, max_lines: int = 20_000, flush_interval: float = FLUSH_INTERVAL_S, wrap: bool = True,
                 **kwargs) -> None:
        super().__init__(max_lines=max_lines, highlight=True, **kwargs)
        self._pending: list[str] = []
        self._raw: deque[str] = deque(maxlen=max_lines)
        self._flush_interval = flush_interval
        self._flow_width = 0
        self.wrap = wrap
        self.lines_fed = 0
        self.highlighter = MatchHighlighter()

    def on_mount(self) -> None:
        self.set_interval(self._flush_interval, self.flush, name="log-flush")

    def feed(self, lines: Iterable[str]) -> None:
        """Queue lines; they appear at the next flush."""
        before = len(self._pending)
        self._pending.extend(lines)
        self.lines_fed += len(self._pending) - before
        limit = self.max_lines or 20_000
        if len(self._pending) > limit:
            # Older lines would be pruned on write anyway; drop them before paying for them.
            del self._pending[: len(self._pending) - limit]

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def raw_lines(self) -> list[str]:
        """The lines as the process wrote them (the rows shown may be wrapped)."""
        return list(self._raw)

    def _row_width(self) -> int:
        return max(20, self.scrollable_content_region.width or self.size.width or 80)

    def _rows(self, lines: list[str]) -> list[str]:
        """Display rows of `lines`: at most `max_lines` (the Log would prune the rest on write)."""
        limit = self.max_lines or 20_000
        if not self.wrap:
            return lines[-limit:]
        width = self._row_width()
        rows: list[str] = []
        for line in reversed(lines):  # from the end: stop once the pane's history is full
            if len(line) <= width:
                rows.append(line)
            else:
                rows.extend(reversed([line[i:i + width] for i in range(0, len(line), width)]))
            if len(rows) >= limit:
                break
        rows.reverse()
        return rows[-limit:]

    def flush(self) -> None:
        """Write everything queued in one `write_lines` call (at most `max_lines` rows of it)."""
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        self._raw.extend(batch)
        self.write_lines(self._rows(batch))

    def set_wrap(self, wrap: bool) -> None:
        """Re-flow every kept line, wrapped to the pane or one row each."""
        self.flush()
        self.wrap = wrap
        self._reflow()

    def _reflow(self) -> None:
        self._flow_width = self._row_width()
        at_end = self.is_vertical_scroll_end
        super().clear()
        self.write_lines(self._rows(list(self._raw)), scroll_end=at_end)

    def on_resize(self) -> None:
        if self.wrap and self._raw and self._row_width() != self._flow_width:
            self._reflow()

    def reset(self) -> None:
        self._pending.clear()
        self._raw.clear()
        self.lines_fed = 0
        self.clear()

    # -- search ----------------------------------------------------------------------------------
    def set_query(self, query: str) -> None:
        self.highlighter.pattern = re.compile(re.escape(query), re.IGNORECASE) if query else None
        self.notify_style_update()
        self.refresh()

    def find(self, query: str, start: int, forward: bool = True) -> int | None:
        """Index of the next (previous) row containing `query` after (before) row `start`, wrapping."""
        if not query:
            return None
        needle = query.lower()
        rows = self.lines
        n = len(rows)
        order = [(start + i) % n for i in range(1, n + 1)] if forward else [(start - i) % n for i in range(1, n + 1)]
        return next((i for i in order if needle in rows[i].lower()), None)


class LogView(Vertical):
    """The log with its search bar; the unit the maximise key fills the screen with."""

    ALLOW_MAXIMIZE = True
    DEFAULT_CSS = """
    LogView {
        height: 1fr;
        min-height: 6;
    }

    LogView #log-search-row {
        height: auto;
        display: none;
    }

    LogView.-searching #log-search-row {
        display: block;
    }

    LogView #log-search {
        width: 1fr;
    }

    LogView #log-search-status {
        height: 1;
        color: $text-muted;
    }

    LogView BatchedLog {
        border: round $border-blurred;
    }

    LogView BatchedLog:focus {
        border: round $border;
    }
    """

    BINDINGS = [
        Binding("slash", "search", "Search", show=False),
        Binding("n", "find_next", "Next match", show=False),
        Binding("N", "find_previous", "Previous match", show=False),
    ]

    class SearchClosed(Message):
        """Escape in the search field: give the keys back to the log."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.query_text = ""
        self.match: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="log-search-row"):
            yield Input(placeholder="search the log: enter next, shift+enter / F3 previous, escape close",
                        id="log-search", compact=True)
            yield Static("", id="log-search-status")
        yield BatchedLog(id="run-log")

    @property
    def log(self) -> BatchedLog:
        return self.query_one(BatchedLog)

    def action_search(self) -> None:
        self.add_class("-searching")
        box = self.query_one("#log-search", Input)
        box.focus()

    def close_search(self) -> None:
        self.remove_class("-searching")
        self.log.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.query_text = event.value
        self.log.set_query(event.value)
        self.match = None
        self._show_status("")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_find_next()

    def on_key(self, event) -> None:
        if event.key == "escape" and self.has_class("-searching"):
            event.stop()
            self.close_search()
        elif event.key == "shift+enter" and self.has_class("-searching"):
            event.stop()
            self.action_find_previous()

    def action_find_next(self) -> None:
        self._find(True)

    def action_find_previous(self) -> None:
        self._find(False)

    def _find(self, forward: bool) -> None:
        log = self.log
        log.flush()
        if not self.query_text:
            self.action_search()
            return
        start = self.match if self.match is not None else (
            int(log.scroll_y) - 1 if forward else int(log.scroll_y) + log.scrollable_content_region.height)
        found = log.find(self.query_text, start, forward)
        if found is None:
            self._show_status(f"no match for {self.query_text!r}")
            return
        self.match = found
        log.auto_scroll = False  # stay on the match while the run keeps writing
        log.scroll_to(y=max(0, found - log.scrollable_content_region.height // 3), animate=False)
        total = sum(1 for row in log.lines if self.query_text.lower() in row.lower())
        self._show_status(f"row {found + 1} of {log.line_count}: {total} rows match {self.query_text!r}")

    def _show_status(self, text: str) -> None:
        self.query_one("#log-search-status", Static).update(Content(text))

    def follow(self) -> None:
        """Back to following the end of the log (auto-scroll)."""
        self.log.auto_scroll = True
        self.log.scroll_end(animate=False)
