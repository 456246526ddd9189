"""The live run: status line, headline numbers, progress, plots with axes, the searchable log.

Fed only line batches (`ingest`, safe from the runner's thread: a deque append) and drained on
the UI thread every `DRAIN_S`; the numbers come from the core's `RunMetrics` (launch/metrics.py),
so the panel knows nothing about processes or log formats.
"""

from __future__ import annotations

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
        self.set_interval(DRAIN_S, self.drain, name="run-drain")
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
        """Queue a batch of display lines (any thread); shown at the next drain."""
        self._inbox.append(lines)

    def drain(self) -> None:
        """Everything queued -> metrics, headline, progress, plots (marked), the log (one write)."""
        if not self._inbox:
            return
        batch: list[str] = []
        while self._inbox:
            batch.extend(self._inbox.popleft())
        steps = self.metrics.feed(batch)
        log = self.log
        log.feed(batch)
        log.flush()
        if steps:
            self.last_step = steps[-1]
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
