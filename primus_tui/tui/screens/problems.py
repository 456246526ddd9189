"""Every problem of the core's verdict in full (the status line has room for one, cut to fit).

Enter on a problem goes to the step that owns it (`steps.step_of`); escape closes.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from primus_tui.steps import step, step_of
from primus_tui.wizard.problems import Problem


class ProblemsScreen(ModalScreen[str | None]):
    """The verdict's problems, errors first, each wrapped in full; the result is a step id or None."""

    DEFAULT_CSS = """
    ProblemsScreen { align: center middle; }
    #problems-box {
        width: 100; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    #problems-title { text-style: bold; color: $text-accent; }
    #problems-list { height: auto; max-height: 100%; }
    """

    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__()
        self.problems = sorted(problems, key=lambda p: not p.blocks)

    def compose(self) -> ComposeResult:
        with Vertical(id="problems-box"):
            errors = sum(p.blocks for p in self.problems)
            yield Static(f"{errors} error(s), {len(self.problems) - errors} warning(s)  ·  enter: go to its step",
                         id="problems-title")
            yield OptionList(*[Option(_line(p), id=str(i)) for i, p in enumerate(self.problems)], id="problems-list")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(step_of(self.problems[int(event.option.id)].path))

    def action_close(self) -> None:
        self.dismiss(None)


def _line(p: Problem) -> Content:
    mark = Content.styled("✖ ", "$text-error") if p.blocks else Content.styled("⚠ ", "$text-warning")
    where = Content.styled(f"step {step(step_of(p.path)).number} · {p.source} · ", "$text-muted")
    return Content.assemble(mark, where, str(p))
