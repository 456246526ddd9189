"""A `Checkbox` whose mark says its value: `✔` when ticked, blank when not.

Textual draws an `X` in both states and tells them apart by colour only; on many terminal themes
(and in compact mode) an unticked box reads as ticked.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class TickBox(Checkbox):
    """`Checkbox` with a mark that is visible only when the box is ticked."""

    TICKED, UNTICKED = "✔", " "

    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")
        return Content.assemble("[", (self.TICKED if self.value else self.UNTICKED, style), "]")

    def fill(self, value: bool) -> None:
        """Show a value from the state without a `Changed`: only the user's toggles are edits."""
        with self.prevent(Checkbox.Changed):
            self.value = value
