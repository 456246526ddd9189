"""Key-only drivers for the wizard in pilot tests (imported by the tests in this folder)."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

TINYLLAMA = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"

# A TinyLlama-shaped network small enough to train on 2 CPU cores in seconds
# (the tiny CPU experiment's sizes).
TINY_FIELDS = {
    "num_layers": "2",
    "hidden_size": "64",
    "ffn_hidden_size": "176",
    "num_attention_heads": "4",
    "num_query_groups": "2",
    "kv_channels": "16",
    "max_position_embeddings": "64",
}
TINY_OVERRIDES = {
    "train_iters": "3",
    "micro_batch_size": "2",
    "global_batch_size": "4",
    "seq_length": "64",
}


async def settle(pilot: Pilot) -> None:
    """Let workers finish and the screen catch up (no sleeping)."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def screen(pilot: Pilot):
    return pilot.app.screen


async def type_text(pilot: Pilot, text: str) -> None:
    await pilot.press(*[("space" if c == " " else c) for c in text])


async def replace_focused(pilot: Pilot, text: str) -> None:
    """Clear the focused Input (ctrl+u after end) and type `text`."""
    await pilot.press("end", "ctrl+u")
    await type_text(pilot, text)


async def fetch(pilot: Pilot, ref: str = TINYLLAMA) -> None:
    """Step 1 by keys: type the repo id, enter fetches."""
    focused = pilot.app.focused
    assert isinstance(focused, Input) and focused.id == "model-ref", focused
    await type_text(pilot, ref)
    await pilot.press("enter")
    await settle(pilot)


async def focus_input(pilot: Pilot, input_id: str, limit: int = 80) -> None:
    """Tab until the Input with this id has focus (keys only, like a user)."""
    for _ in range(limit):
        if pilot.app.focused is not None and pilot.app.focused.id == input_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"could not reach #{input_id} with tab (focused: {pilot.app.focused})")


async def set_field(pilot: Pilot, input_id: str, text: str) -> None:
    await focus_input(pilot, input_id)
    await replace_focused(pilot, text)
    await pilot.pause()


async def next_step(pilot: Pilot) -> None:
    await pilot.press("ctrl+n")
    await pilot.pause()
    await pilot.pause()


def no_blink(pilot: Pilot) -> None:
    """Freeze cursors for screenshots."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
