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


def wizard(pilot: Pilot):
    """The wizard screen (the app's default screen, under any modal)."""
    return pilot.app.screen_stack[0]


async def settle(pilot: Pilot) -> None:
    """Let workers finish and the views of the latest state land (no sleeping).

    Never call it while a modal waits for an answer: the worker that opened it is still running.
    """
    for _ in range(1000):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if not wizard(pilot).busy:
            break
    await pilot.pause()


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
    await settle(pilot)


async def next_step(pilot: Pilot) -> None:
    await settle(pilot)
    await pilot.press("ctrl+n")
    await settle(pilot)


def no_blink(pilot: Pilot) -> None:
    """Freeze cursors for screenshots."""
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


def tinyllama_state(root):
    """A state with TinyLlama fetched from the offline cache (what `--answers F --interactive` gives)."""
    from primus_tui.wizard import WizardState

    return WizardState.new(root).with_model(TINYLLAMA)


async def goto(pilot: Pilot, step_id: str) -> None:
    await settle(pilot)
    await wizard(pilot).run_action(f"goto('{step_id}')")
    await settle(pilot)


async def wait_for_modal(pilot: Pilot, kind=None, limit: int = 400):
    """The modal a worker is about to open (it may first wait for the view of the state)."""
    from primus_tui.tui.screens.confirm import ConfirmScreen

    kind = kind or ConfirmScreen
    for _ in range(limit):
        if isinstance(pilot.app.screen, kind):
            return pilot.app.screen
        await pilot.pause(0.01)
    raise AssertionError(f"no {kind.__name__} on top (screen: {pilot.app.screen})")


async def answer(pilot: Pilot, key: str) -> None:
    """Answer the modal that comes up (y / n) and wait until it is gone."""
    modal = await wait_for_modal(pilot)
    await pilot.press(key)
    for _ in range(400):
        if pilot.app.screen is not modal:
            break
        await pilot.pause(0.01)
    await pilot.pause()


def fake_command(script: str):
    """A launcher collaborator running `python -c script` instead of primus-cli."""
    import sys

    def build(state, mode):
        return [sys.executable, "-c", script]

    return build


async def type_into(pilot: Pilot, step_id: str, input_id: str, text: str) -> None:
    """Go to a step, tab to one of its fields, replace its text by `text`, let the verdict land."""
    await goto(pilot, step_id)
    await focus_input(pilot, input_id)
    await replace_focused(pilot, text)
    await settle(pilot)
