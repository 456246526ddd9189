"""Base for one wizard step pane, and the one message every form change posts.

Panes never compute: they turn a form change into an `Edit` (a pure `WizardState -> WizardState`
step call) and render whatever state the screen hands back in `show()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.containers import VerticalScroll
from textual.message import Message

StateFn = Callable[[Any], Any]


class Edit(Message):
    """Apply one core step call to the wizard state (trogon's `CommandForm.Changed`)."""

    def __init__(self, step_id: str, what: str, apply: StateFn) -> None:
        super().__init__()
        self.step_id = step_id
        self.what = what  # e.g. "architecture.num_layers", for logs and tests
        self.apply = apply


class StepPane(VerticalScroll):
    """One step of the wizard. Subclasses compose a form and render from the state."""

    STEP_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    PURPOSE: ClassVar[str] = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id=self.STEP_ID, classes="step", **kwargs)
        self._filling = False  # True while the screen fills the form from a state

    def fill(self, state: Any) -> None:
        """Put the state's answers into the form (start-up, answers file, new model)."""

    def show(self, state: Any, view: Any) -> None:
        """Refresh read-only parts from the new state. Never resets what the user typed."""

    def edit(self, what: str, apply: StateFn) -> None:
        if not self._filling:
            self.post_message(Edit(self.STEP_ID, what, apply))
