"""The live run: status line, headline numbers, progress, plots with axes, the searchable log.

Fed only line batches through `ingest`, called from the runner's reader thread: there the core's
`RunMetrics` (launch/metrics.py) parses them (the parse is most of the per-line cost, and the UI
thread keeps answering keys meanwhile), then the batch goes onto a deque. The UI thread drains it
every `DRAIN_S` into the log (which writes at most its `max_lines` rows of a flood: older rows
would be pruned on write anyway), the headline and the progress bar. Under a flood a drain can
take tens of ms; the next one then waits `BUSY_FACTOR` times as long, so the UI thread stays
mostly free for keys and the reader thread (which needs the GIL to parse) keeps up.
The panel knows nothing about processes or log formats.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Label, ProgressBar, Static

from primus_tui.launch.metrics import RunMetrics
from primus_tui.tui.widgets.log_pane import BatchedLog, LogView
from primus_tui.tui.widgets.run_plots import RunPlots

DRAIN_S = 0.075
BUSY_FACTOR = 3.0


class RunStatus(Static):
    """One or more lines: idle / running / finished / failed / cancelled, and details."""

    state: str = "idle"

    def set_status(self, state: str, text: str, detail: Sequence[str] = ()) -> None:
        style = {"running": "$accent", "finished": "$success", "failed": "$error", "cancelled": "$warning"}.get(
            state, "$text-muted"
        )
        head = Content.assemble((f" {state.upper()} ", f"reverse {style} bold"), " ", text)
        lines = [head, *[Content.styled(f"  {line}", "$text-muted") for line in detail]]
        self.update(Content("\n").join(lines))
        self.state = state
        self.set_class(state == "failed", "-failed")


class RunPanel(Vertical):
    """Status, headline, progress (iteration / train_iters), plots, then the log."""

    DEFAULT_CSS = """
    RunPanel {
        height: auto;
        min-height: 20;
        margin-top: 1;
    }

    #run-status {
        height: auto;
    }

    #run-headline {
        height: 3;
        color: $text;
    }

    #run-progress-row {
        height: 1;
    }

    #run-iter {
        width: 28;
    }

    RunPanel LogView {
        height: 14;
    }

    RunPanel LogView.-maximized {
        height: 1fr;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.metrics = RunMetrics()
        self._inbox: deque[list[str]] = deque()
        self._new_steps = False  # set by the reader thread, cleared by the drain
        self._next_drain = 0.0  # monotonic time before which the timer's drain waits
        self.last_step = None

    def compose(self) -> ComposeResult:
        yield RunStatus("", id="run-status")
        yield Static("", id="run-headline", markup=False)
        with Horizontal(id="run-progress-row"):
            yield Label("iteration -/-", id="run-iter")
            yield ProgressBar(total=1, show_eta=False, id="run-progress")
        yield RunPlots(id="run-plots")
        yield LogView(id="run-logview")

    def on_mount(self) -> None:
        self.set_interval(DRAIN_S, self._tick, name="run-drain")
        self.reset()

    @property
    def log(self) -> BatchedLog:
        return self.query_one(BatchedLog)

    @property
    def log_view(self) -> LogView:
        return self.query_one(LogView)

    @property
    def plots(self) -> RunPlots:
        return self.query_one(RunPlots)

    def reset(self, metrics: RunMetrics | None = None) -> None:
        """A new run: empty log, plots and numbers; `metrics` carries the device, world and seq_length."""
        self._inbox.clear()
        self.metrics = metrics or RunMetrics()
        self.last_step = None
        self.query_one(RunStatus).set_status("idle", "not started")
        self.query_one("#run-iter", Label).update("iteration -/-")
        self.query_one(ProgressBar).update(total=1, progress=0)
        self.log.reset()
        self.plots.show(self.metrics)
        self._show_headline()

    def set_status(self, state: str, text: str, detail: Sequence[str] = ()) -> None:
        self.query_one(RunStatus).set_status(state, text, detail)

    @property
    def status(self) -> str:
        return str(self.query_one(RunStatus).content)

    def ingest(self, lines: list[str]) -> None:
        """A batch of display lines from any thread (the runner's reader): parsed there, shown at the next drain."""
        steps = self.metrics.feed(lines)
        if steps:
            self.last_step = steps[-1]
            self._new_steps = True
        self._inbox.append(lines)

    @property
    def queued(self) -> int:
        return sum(len(batch) for batch in self._inbox)

    def _tick(self) -> None:
        now = time.monotonic()
        if now < self._next_drain:
            return
        self.drain()
        self._next_drain = now + BUSY_FACTOR * (time.monotonic() - now)

    def drain(self, limit: int | None = None) -> None:
        """Queued lines -> the log (one write), headline, progress; the plots are marked for their redraw."""
        if not self._inbox and not self._new_steps:
            return
        batch: list[str] = []
        while self._inbox and (limit is None or len(batch) < limit):
            batch.extend(self._inbox.popleft())
        if batch:
            log = self.log
            log.feed(batch)
            log.flush()
        if self._new_steps:
            self._new_steps = False
            self._show_progress()
            self.plots.mark_dirty()
        self._show_headline()

    def _show_progress(self) -> None:
        head = self.metrics.headline()
        self.query_one("#run-iter", Label).update(head.progress())
        self.query_one(ProgressBar).update(total=head.train_iters or 1, progress=head.iteration or 0)

    def _show_headline(self) -> None:
        head = self.metrics.headline()
        self.query_one("#run-headline", Static).update("\n".join(head.lines()[1:] + [head.losses()]))
