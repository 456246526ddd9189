"""The TUI writes through the core's one write-then-verify flow: races and backups shown as the core says."""

from __future__ import annotations

from tui_helpers import answer, goto, settle, tinyllama_state, wait_for_modal


async def test_a_file_created_while_the_dialog_is_open_is_not_replaced(make, tree):
    state = tinyllama_state(tree)
    target = tree / state.model_rel
    target.unlink(missing_ok=True)
    app = make(state=state)
    async with app.run_test(size=(100, 30)) as pilot:
        await goto(pilot, "launch")
        await pilot.press("ctrl+o")
        await wait_for_modal(pilot)  # the plan says "create"; someone else creates it meanwhile
        target.write_text("# another writer's file\n")
        await answer(pilot, "y")
        await settle(pilot)
        message = app.screen.launch_pane.message
    assert "was created by another writer after the plan was made; not replaced; nothing was written" in message
    assert target.read_text() == "# another writer's file\n"
    assert not list(tree.rglob("*.primus-tui-*.tmp")) and not (tree / ".primus-tui").exists()


async def test_overwrite_keeps_a_backup_and_says_where(make, tree):
    state = tinyllama_state(tree).with_name("tinyllama_1.1b_chat_v1.0")  # typed: a derived name avoids the file
    target = tree / state.model_rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# hand-written\n")
    app = make(state=state)
    async with app.run_test(size=(100, 30)) as pilot:
        await goto(pilot, "launch")
        await pilot.press("ctrl+o")
        await wait_for_modal(pilot)
        await answer(pilot, "y")  # overwrite
        await settle(pilot)
        message = app.screen.launch_pane.message
    assert message.startswith("Wrote ") and f"old {state.model_rel} kept in .primus-tui/backups/" in message, message
    kept = message.split("kept in ", 1)[1].split(",")[0].split(";")[0].split(". ")[0]
    assert (tree / kept).read_text() == "# hand-written\n"
