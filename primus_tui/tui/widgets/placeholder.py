"""Temporary panes for steps whose core is not wired yet."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from primus_tui.tui.widgets.step import StepPane


def make_placeholder(step_id: str, title: str, purpose: str) -> type[StepPane]:
    class Placeholder(StepPane):
        STEP_ID = step_id
        TITLE = title
        PURPOSE = purpose

        def compose(self) -> ComposeResult:
            yield Static(self.PURPOSE, classes="purpose")

    Placeholder.__name__ = f"{title.replace(' ', '')}Step"
    return Placeholder
