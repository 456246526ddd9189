"""Two plots with axes and labels (textual-plotext): lm loss, and one chosen quantity beside it.

The right plot cycles (ctrl+g) through throughput (tokens/s per device, TFLOP/s per device on a
second axis), grad norm and learning rate. Data comes from the core's `RunMetrics` series; plots
redraw at most every `REDRAW_S` (a plotext build costs ~6 ms at 240 points), on at most
`MAX_PLOTTED` points (evenly thinned: a pane is ~60 cells wide).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal
from textual_plotext import PlotextPlot

from primus_tui.launch.metrics import RunMetrics, Series

REDRAW_S = 0.5
MAX_PLOTTED = 240


@dataclass(frozen=True)
class View:
    """One plottable panel: which series, its title and y label (`{unit}`: CPU or GPU)."""

    key: str
    title: str
    ylabel: str
    second: str | None = None  # a series on the right y axis
    second_label: str = ""


RIGHT_VIEWS = (
    View("tokens", "throughput", "tok/s/{unit}", "tflops", "TFLOP/s/{unit}"),
    View("grad_norm", "grad norm", "grad norm"),
    View("lr", "learning rate", "lr"),
)
LOSS = View("loss", "lm loss", "loss")


def thin(series: Series, limit: int = MAX_PLOTTED) -> tuple[list[int], list[float]]:
    """At most `limit` evenly spaced points, the last one always kept (the runner's thread may be
    appending: x and y are read to the same length)."""
    n = min(len(series.x), len(series.y))
    if n <= limit:
        return list(series.x[:n]), list(series.y[:n])
    step = n / limit
    idx = sorted({int(i * step) for i in range(limit)} | {n - 1})
    return [series.x[i] for i in idx], [series.y[i] for i in idx]


class CachedPlot(PlotextPlot):
    """A PlotextPlot that builds its text once per data change or size, not on every repaint
    (a build is ~6-12 ms; the screen repaints each time the log or the headline changes)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._built: tuple[tuple[int, int, str], Text] | None = None
        self.version = 0

    def changed(self) -> None:
        self.version += 1
        self.refresh()

    def render(self) -> RenderResult:
        key = (self.size.width, self.size.height, f"{self.version}:{self.app.theme}")
        if self._built is None or self._built[0] != key:
            self._built = (key, super().render())  # type: ignore[arg-type]
        return self._built[1]


class RunPlots(Horizontal):
    """Loss on the left, `RIGHT_VIEWS[choice]` on the right."""

    DEFAULT_CSS = """
    RunPlots {
        height: 12;
    }

    RunPlots PlotextPlot {
        width: 1fr;
        height: 1fr;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.choice = 0
        self.metrics: RunMetrics | None = None
        self._dirty = False

    def compose(self) -> ComposeResult:
        yield CachedPlot(id="plot-loss")
        yield CachedPlot(id="plot-right")

    def on_mount(self) -> None:
        self.set_interval(REDRAW_S, self._redraw_if_dirty, name="plots")
        self.show(None)

    @property
    def right_view(self) -> View:
        return RIGHT_VIEWS[self.choice]

    def cycle(self) -> str:
        self.choice = (self.choice + 1) % len(RIGHT_VIEWS)
        self.redraw()
        return self.right_view.title

    def show(self, metrics: RunMetrics | None) -> None:
        """Plot these metrics from now on (None: empty axes)."""
        self.metrics = metrics
        self.redraw()

    def mark_dirty(self) -> None:
        self._dirty = True

    def _redraw_if_dirty(self) -> None:
        if self._dirty:
            self.redraw()

    def redraw(self) -> None:
        self._dirty = False
        unit = "GPU" if self.metrics is not None and self.metrics.gpu is not None else "CPU"
        self._draw(self.query_one("#plot-loss", CachedPlot), LOSS, unit)
        self._draw(self.query_one("#plot-right", CachedPlot), self.right_view, unit)

    def _draw(self, widget: CachedPlot, view: View, unit: str) -> None:
        plt = widget.plt
        plt.clear_figure()
        plt.title(view.title)
        plt.xlabel("iteration")
        plt.ylabel(view.ylabel.format(unit=unit))
        series = self.metrics.series if self.metrics is not None else {}
        first = series.get(view.key)
        if first is not None and len(first):
            x, y = thin(first)
            plt.plot(x, y, marker="braille", label=view.ylabel.format(unit=unit) if view.second else None)
        second = series.get(view.second) if view.second else None
        if second is not None and not any(second.y):
            second = None  # e.g. TFLOP/s on CPU, where the trainer reports 0.0: no flat line on a fake axis
        if second is not None and len(second):
            x, y = thin(second)
            plt.plot(x, y, marker="braille", yside="right", label=view.second_label.format(unit=unit))
            plt.ylabel(view.second_label.format(unit=unit), yside="right")
        if (first is None or not len(first)) and (second is None or not len(second)):
            plt.xlim(0, 1)
            plt.ylim(0, 1)
        widget.changed()
