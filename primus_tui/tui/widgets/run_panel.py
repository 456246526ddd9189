"""The live run: status line, iteration progress, loss and throughput sparklines, the log.

Fed only parsed data (`TrainingStep`s from the core parser) and line batches; knows nothing
about processes.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Label, ProgressBar, Sparkline, Static

from primus_tui.tui.widgets.log_pane import BatchedLog

MAX_POINTS = 240


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


class RunStatus(Static):
    """One or more lines: idle / running / finished / failed, exit code and last error lines."""

    def set_status(self, state: str, text: str, detail: Sequence[str] = ()) -> None:
        style = {"running": "$accent", "finished": "$success", "failed": "$error", "cancelled": "$warning"}.get(
            state, "$text-muted"
        )
        head = Content.assemble((f" {state.upper()} ", f"reverse {style} bold"), " ", text)
        lines = [head, *[Content.styled(f"  {line}", "$text-muted") for line in detail]]
        self.update(Content("\n").join(lines))
        self.state = state
        self.set_class(state == "failed", "-failed")

    state: str = "idle"


class RunPanel(Vertical):
    """Status, progress (iteration / train_iters) and charts above a time-batched log."""

    DEFAULT_CSS = """
    RunPanel {
        height: auto;
        min-height: 16;
        margin-top: 1;
    }

    #run-status {
        height: auto;
    }

    #run-progress-row {
        height: 1;
        margin-top: 1;
    }

    #run-iter {
        width: 20;
    }

    #run-charts {
        height: 3;
        margin-top: 1;
    }

    #run-charts .chart {
        width: 1fr;
        height: 3;
        padding-right: 2;
    }

    #run-charts Sparkline {
        height: 2;
    }

    #run-log {
        height: 12;
        min-height: 6;
        border: round $border-blurred;
        margin-top: 1;
    }

    #run-log:focus {
        border: round $border;
    }
    """

    def compose(self) -> ComposeResult:
        yield RunStatus("", id="run-status")
        with Horizontal(id="run-progress-row"):
            yield Label("iteration -/-", id="run-iter")
            yield ProgressBar(total=1, show_eta=True, id="run-progress")
        with Horizontal(id="run-charts"):
            with Vertical(classes="chart"):
                yield Label("lm loss -", id="loss-label")
                yield Sparkline([], id="loss-spark")
            with Vertical(classes="chart"):
                yield Label("throughput -", id="tput-label")
                yield Sparkline([], id="tput-spark")
        yield BatchedLog(id="run-log")

    def on_mount(self) -> None:
        self.reset()

    @property
    def log(self) -> BatchedLog:
        return self.query_one(BatchedLog)

    def reset(self) -> None:
        self._loss: list[float] = []
        self._tput: list[float] = []
        self.last_step = None
        self.query_one(RunStatus).set_status("idle", "not started")
        self.query_one("#run-iter", Label).update("iteration -/-")
        bar = self.query_one(ProgressBar)
        bar.update(total=1, progress=0)
        self.query_one("#loss-spark", Sparkline).data = []
        self.query_one("#tput-spark", Sparkline).data = []
        self.query_one("#loss-label", Label).update("lm loss -")
        self.query_one("#tput-label", Label).update("throughput -")
        self.log.reset()

    def set_status(self, state: str, text: str, detail: Sequence[str] = ()) -> None:
        self.query_one(RunStatus).set_status(state, text, detail)

    def add_steps(self, steps: Sequence) -> None:
        """Update progress and charts from parsed training steps (rank 0 or unranked only)."""
        steps = [s for s in steps if s.rank in (None, 0)]
        if not steps:
            return
        for step in steps:
            if step.lm_loss is not None and step.loss_is_finite:
                self._loss.append(step.lm_loss)
            rate = step.tokens_per_sec if step.tokens_per_sec is not None else step.tflops_per_gpu
            if rate is not None:
                self._tput.append(rate)
        del self._loss[:-MAX_POINTS], self._tput[:-MAX_POINTS]
        last = steps[-1]
        self.last_step = last
        self.query_one("#run-iter", Label).update(f"iteration {last.iteration}/{last.train_iters}")
        self.query_one(ProgressBar).update(total=last.train_iters, progress=last.iteration)
        # Sparkline redraws only on assignment of a new list.
        self.query_one("#loss-spark", Sparkline).data = list(self._loss)
        self.query_one("#tput-spark", Sparkline).data = list(self._tput)
        self.query_one("#loss-label", Label).update(f"lm loss {_fmt(last.lm_loss, '.4f')}")
        if last.tokens_per_sec is not None:
            tput = f"throughput {_fmt(last.tokens_per_sec, ',.0f')} tok/s/GPU"
        else:
            tput = f"throughput {_fmt(last.tflops_per_gpu, '.1f')} TFLOP/s/GPU"
        self.query_one("#tput-label", Label).update(tput)
