"""The sidebar: wizard steps (navigable) and the seed guide's four-item checklist (ticked from state)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.content import Content
from textual.widgets import Static

from primus_tui.steps import Step


@dataclass(frozen=True)
class CheckItem:
    """One line of the seed checklist: done, or the reason it is not."""

    label: str
    done: bool
    detail: str = ""


TICK, TODO = "✔", "○"


class StepNav(Static):
    """The six steps, the current one marked; a click jumps (keys: ctrl+n / ctrl+b, or the palette)."""

    def __init__(self, steps: Sequence[Step], **kwargs) -> None:
        super().__init__("", **kwargs)
        self._steps = list(steps)
        self.current: str | None = None

    def on_mount(self) -> None:
        self.show_current(self._steps[0].id)

    def show_current(self, step_id: str) -> None:
        self.current = step_id
        lines = []
        for i, step in enumerate(self._steps, 1):
            link = f"@click=screen.goto('{step.id}')"
            if step.id == step_id:
                lines.append(Content.from_markup(f"[bold $text-accent {link}]▸ {i} {step.title}[/]"))
            else:
                lines.append(Content.from_markup(f"[{link}]  {i} {step.title}[/]"))
        self.update(Content("\n").join(lines))


def _two_lines(text: str, width: int) -> list[str]:
    """The detail in at most two lines of `width`, broken after a space, `_`, `-`, `.` or `(`."""
    text = text.rsplit("/", 1)[-1] if "/" in text.split(" ")[0] else text
    if len(text) <= width:
        return [text]
    cut = max((i + 1 for i, c in enumerate(text[:width]) if c in " _-.(/"), default=width)
    first, rest = text[:cut].rstrip(), text[cut:].lstrip()
    return [first, rest if len(rest) <= width else rest[: width - 1] + "…"]


class Checklist(Static):
    """Four lines, `✔` or `○`; a done item shows what was done (full reasons: the tooltip)."""

    DETAIL_WIDTH = 19

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.items: list[CheckItem] = []

    def show(self, items: Sequence[CheckItem]) -> None:
        items = list(items)
        if items == self.items:
            return
        self.items = items
        parts: list[Content] = []
        for item in items:
            mark = Content.styled(TICK, "$success bold") if item.done else Content.styled(TODO, "$text-muted")
            label = Content(item.label) if item.done else Content.styled(item.label, "$text")
            parts.append(Content.assemble(mark, " ", label))
            if item.detail and item.done:
                parts += [Content.styled(f"  {line}", "$text-muted") for line in _two_lines(item.detail, self.DETAIL_WIDTH)]
        self.update(Content("\n").join(parts))
        self.tooltip = "\n".join(f"{TICK if i.done else TODO} {i.label}: {i.detail}" for i in items)

    @property
    def ticks(self) -> int:
        return sum(item.done for item in self.items)


# The checklist's labels as the one-line status shows them (narrow terminals, no sidebar).
SHORT_LABELS = ("base", "model YAML", "experiment", "run")


class StepStatus(Static):
    """One line for narrow terminals, where the sidebar is hidden: `Step 3/6 Architecture  ✔ base ○ …`."""

    def __init__(self, steps: Sequence[Step], **kwargs) -> None:
        super().__init__("", **kwargs)
        self._steps = list(steps)
        self._current = 0
        self._items: list[CheckItem] = []

    def show(self, current: int | None = None, items: Sequence[CheckItem] | None = None) -> None:
        if current is not None:
            self._current = current
        if items is not None:
            self._items = list(items)
        step = self._steps[self._current]
        parts = [Content.styled(f"Step {self._current + 1}/{len(self._steps)} {step.title}", "bold $text-accent"), Content("  ")]
        for item, short in zip(self._items, SHORT_LABELS):
            mark = Content.styled(TICK, "$success bold") if item.done else Content.styled(TODO, "$text-muted")
            parts += [mark, Content(f" {short}  ")]
        self.update(Content.assemble(*parts))
