"""The sidebar: wizard steps (navigable) and the seed guide's four-item checklist (ticked from state)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


@dataclass(frozen=True)
class StepInfo:
    """One wizard step as the sidebar shows it."""

    id: str
    title: str


@dataclass(frozen=True)
class CheckItem:
    """One line of the seed checklist: done, or the reason it is not."""

    label: str
    done: bool
    detail: str = ""


TICK, TODO = "✔", "○"


class StepNav(OptionList):
    """The six wizard steps; enter or click jumps to one."""

    class Jump(Message):
        def __init__(self, step_id: str) -> None:
            super().__init__()
            self.step_id = step_id

    def __init__(self, steps: Sequence[StepInfo], **kwargs) -> None:
        super().__init__(*[Option(f"{i}  {s.title}", id=s.id) for i, s in enumerate(steps, 1)], **kwargs)
        self._steps = list(steps)

    def show_current(self, step_id: str) -> None:
        index = next((i for i, s in enumerate(self._steps) if s.id == step_id), None)
        if index is not None and self.highlighted != index:
            self.highlighted = index

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Jump(event.option.id))


def _one_line(text: str, width: int) -> str:
    text = text.rsplit("/", 1)[-1] if "/" in text.split(" ")[0] else text
    return text if len(text) <= width else text[: width - 1] + "…"


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
                parts.append(Content.styled(f"  {_one_line(item.detail, self.DETAIL_WIDTH)}", "$text-muted"))
        self.update(Content("\n").join(parts))
        self.tooltip = "\n".join(f"{TICK if i.done else TODO} {i.label}: {i.detail}" for i in items)

    @property
    def ticks(self) -> int:
        return sum(item.done for item in self.items)
