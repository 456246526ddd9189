"""The run view's keys, declared once: the screen's bindings, the palette and help derive from `RUN_KEYS`."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class RunKey:
    """One key of the run view: the key(s), the screen action, the footer label and one line of help."""

    key: str
    action: str
    label: str
    help: str
    show: bool = False  # in the footer (most live in the palette and help: the footer is 80 columns)
    palette: str = ""  # palette title; '' -> the label

    @property
    def title(self) -> str:
        return self.palette or self.label

    def binding(self) -> Binding:
        """Priority: a run key works from any field. ctrl+e is a text field's end-of-line too; the
        run key wins there (End still moves to the end), so ctrl+e reaches the experiments from the
        first screen, whose model field has the focus."""
        return Binding(self.key, self.action, self.label, show=self.show, priority=True)

    @property
    def shown_key(self) -> str:
        return " / ".join(k.strip() for k in self.key.split(","))


RUN_KEYS: tuple[RunKey, ...] = (
    RunKey("ctrl+e", "open_experiment", "Open exp", "open an experiment of the tree (searchable list) and launch it",
           show=True, palette="Open experiment"),
    RunKey("ctrl+y", "copy_command", "Copy cmd", "copy the exact launch command to the clipboard (and show it)",
           palette="Copy launch command"),
    RunKey("ctrl+l", "maximize_log", "Log", "run log full screen / back (escape restores too)",
           palette="Maximise the run log"),
    RunKey("ctrl+f", "search_log", "Search", "search the run log: enter / n next, shift+enter / N previous",
           palette="Search the run log"),
    RunKey("f3", "find_next", "Next match", "next match of the log search", palette="Next log match"),
    RunKey("shift+f3", "find_previous", "Prev match", "previous match of the log search",
           palette="Previous log match"),
    RunKey("ctrl+t", "toggle_wrap", "Wrap", "wrap long log lines / one row each, scrolled with left and right",
           palette="Toggle log wrap"),
    RunKey("ctrl+g", "cycle_plot", "Plot", "right plot: throughput + TFLOP/s, grad norm, learning rate",
           palette="Next plot"),
)


def run_bindings() -> list[Binding]:
    return [k.binding() for k in RUN_KEYS]


def run_keys_help(indent: str = "  ", width: int = 18) -> str:
    """The help screen's "Run view" lines."""
    return "\n".join(f"{indent}{k.shown_key:<{width}}{k.help}" for k in RUN_KEYS)
