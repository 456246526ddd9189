"""Base for one wizard step pane, and the one message every form change posts.

Panes never compute: they turn a form change into an `Edit` (a pure `WizardState -> WizardState`
step call) and render whatever state the screen hands back in `show()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Input

StateFn = Callable[[Any], Any]


class Edit(Message):
    """Apply one core step call to the wizard state (trogon's `CommandForm.Changed`)."""

    def __init__(self, step_id: str, what: str, apply: StateFn, *, refill: bool = False) -> None:
        super().__init__()
        self.step_id = step_id
        self.what = what  # e.g. "architecture.num_layers", for logs and tests
        self.apply = apply
        self.refill = refill  # the pane's form shows the new state (a reset, not typing)


class StepPane(VerticalScroll):
    """One step of the wizard. Subclasses compose a form and render from the state.

    The pane itself takes no focus (tab never stops on an invisible container); focusing a field
    scrolls it into view. In a form, up / down move between the fields like tab / shift+tab.
    """

    can_focus = False

    # Priority, like tab: focus moves as the key is read, so the keys typed right after it land
    # in the next field. Only while a text field has focus (lists and tables keep their arrows).
    BINDINGS = [
        Binding("down", "field(1)", "Next field", show=False, priority=True),
        Binding("up", "field(-1)", "Previous field", show=False, priority=True),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "field":
            return isinstance(self.screen.focused, Input)
        return True

    STEP_ID: ClassVar[str] = ""
    FIRST_FOCUS: ClassVar[str | None] = None  # selector of the widget a visit starts on (default: the first)
    TITLE: ClassVar[str] = ""
    PURPOSE: ClassVar[str] = ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id=self.STEP_ID, classes="step", **kwargs)
        self._filling = False  # True while the screen fills the form from a state

    def action_field(self, delta: int) -> None:
        if delta > 0:
            self.screen.focus_next()
        else:
            self.screen.focus_previous()

    def fill(self, state: Any) -> None:
        """Put the state's answers into the form (start-up, answers file, new model)."""

    def show(self, state: Any, view: Any) -> None:
        """Refresh read-only parts from the new state. Never resets what the user typed."""

    def edit(self, what: str, apply: StateFn, *, refill: bool = False) -> None:
        if not self._filling:
            self.post_message(Edit(self.STEP_ID, what, apply, refill=refill))
