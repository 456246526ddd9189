"""An `Input` that runs its own key bindings in the order the keys were typed.

Textual inserts a printable key inside the Input's own message queue, but a bound key (end,
home, ctrl+u, backspace, enter, …) travels up to the App before its binding runs. When the app
is busy for a moment, `ctrl+u 6 4` can land as `6 4 ctrl+u`: the field ends up empty or holding
the old value with the new one appended. Running the Input's bindings right here keeps the order.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class OrderedInput(Input):
    """`Input`, with its own (non-priority) bindings handled in its queue, in typing order."""

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable:
            for binding in self._bindings.key_to_bindings.get(event.key, ()):
                if not binding.priority and await self.app.run_action(binding.action, self):
                    event.stop()
                    event.prevent_default()
                    return
        await super()._on_key(event)
