"""Issue 12's walk-through, one Pilot test per finding (the core decides, the screens show it)."""

from __future__ import annotations

import pytest

from primus_tui.wizard import WizardState
from tui_helpers import TINYLLAMA, fetch, focus_input, goto, replace_focused, settle, type_into, type_text, wizard


async def test_a_new_model_resets_the_name_typed_for_the_old_one(make):
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await fetch(pilot)
        await type_into(pilot, "experiment", "exp-name", "my_tiny")
        assert wizard(pilot).state.name == "my_tiny"
        await goto(pilot, "model")
        wizard(pilot).query_one("#model-ref").focus()
        await replace_focused(pilot, "Qwen/Qwen2.5-0.5B")
        await pilot.press("enter")
        await settle(pilot)
        state = wizard(pilot).state
        assert state.name == "qwen2.5_0.5b"
        assert all("my_tiny" not in f.display for f in wizard(pilot).view.plan.files)
        assert wizard(pilot).query_one("#exp-name").value == ""  # the form shows the new model's answers


def test_a_name_typed_before_any_model_is_kept(hf_cache) -> None:
    state = WizardState.new().with_name("mine").with_model(TINYLLAMA)
    assert state.name == "mine"
    assert state.with_model("Qwen/Qwen2.5-0.5B").name == "qwen2.5_0.5b"


async def test_question_mark_in_a_field_is_a_character_not_help(make):
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, "a?b")
        assert app.screen is wizard(pilot)  # no help screen over the wizard
        assert wizard(pilot).query_one("#model-ref").value == "a?b"
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"


async def test_an_unsupported_model_says_why_not_next(make):
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await fetch(pilot, "microsoft/phi-2")
        summary = str(wizard(pilot).query_one("#model-summary").content)
        assert "blocked" in summary and "parallel" in summary  # the full reason, not "next: choose the base"
        assert "ctrl+n: choose the base preset" not in summary


async def test_the_status_line_never_says_no_problems_before_the_verdict(make, monkeypatch):
    import threading

    import primus_tui.tui.screens.wizard as screen_module

    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await fetch(pilot)
        screen = wizard(pilot)
        bar = screen.query_one("#problems")
        assert "no problems" in str(bar.content) or "warning" in str(bar.content)
        release = threading.Event()
        real = screen_module.build_view
        monkeypatch.setattr(screen_module, "build_view", lambda state: (release.wait(10), real(state))[1])
        screen.set_state(screen.state.set_field("num_layers", 0), "architecture.num_layers")
        await pilot.pause()
        assert "checking" in str(bar.content)  # the old verdict is not shown for the new state
        release.set()
        await settle(pilot)
        assert "error" in str(bar.content) and "num_layers" in str(bar.content)


async def test_an_added_override_can_be_removed(make):
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await fetch(pilot)
        await goto(pilot, "experiment")
        await focus_input(pilot, "exp-add")
        await type_text(pilot, "log_interval=5")
        await pilot.press("enter")
        await settle(pilot)
        assert wizard(pilot).state.answers.experiment.overrides["log_interval"] == 5
        await type_text(pilot, "log_interval=")
        await pilot.press("enter")
        await settle(pilot)
        assert "log_interval" not in wizard(pilot).state.answers.experiment.overrides


@pytest.mark.parametrize(("repo", "mpe"), [("mistralai/Mixtral-8x7B-v0.1", 32768), ("HuggingFaceTB/SmolLM2-1.7B", 8192)])
async def test_the_seq_length_placeholder_says_where_it_comes_from(make, repo, mpe):
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await fetch(pilot, repo)
        await goto(pilot, "experiment")
        placeholder = wizard(pilot).query_one("#exp-overrides-seq-length").placeholder
        assert f"max_position_embeddings {mpe}" in placeholder and placeholder.startswith("2048")


async def test_the_preview_shows_a_keys_full_source_and_history(make):
    """A key set in several files shows every earlier value; the detail line holds what columns clip."""
    from primus_tui.tui.widgets.resolved_table import ResolvedTable

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await fetch(pilot)
        await goto(pilot, "preview")
        table = wizard(pilot).query_one(ResolvedTable)
        await focus_input(pilot, "key-filter")
        await type_text(pilot, "global_batch_size")
        await pilot.press("enter")
        await settle(pilot)
        [row] = [r for r in table.shown if r.key == "global_batch_size"]
        assert row.history == ("128 (trainer_base.yaml:19)", "16 (pre_trainer.yaml:5)"), row.history
        detail = str(table.query_one("#key-detail").render())
        assert detail.startswith("global_batch_size = 128  ← overrides @ ")
        assert "examples/megatron/configs/MI300X/tinyllama_1.1b_chat_v1.0-pretrain.yaml:26" in detail  # not clipped
        assert "was: 128 (trainer_base.yaml:19) → 16 (pre_trainer.yaml:5)" in detail


async def test_the_shadowed_filter_finds_shadowed_keys(make):
    """Typing `shadowed` (or `dead`) lists the flagged rows, whatever their notes say."""
    from primus_tui.tui.widgets.resolved_table import KeyRow, ResolvedTable

    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await goto(pilot, "preview")
        table = wizard(pilot).query_one(ResolvedTable)
        table.set_rows([KeyRow("a", "1", "x.yaml:1"), KeyRow("b", "2", "y.yaml:2", shadowed=True),
                        KeyRow("c", "3", "z.yaml:3", dead=True)])
        await focus_input(pilot, "key-filter")
        await type_text(pilot, "shadowed")
        await pilot.pause()
        assert [r.key for r in table.shown] == ["b"]
        await pilot.press(*("backspace",) * len("shadowed"), *"dead")
        await pilot.pause()
        assert [r.key for r in table.shown] == ["c"]


async def test_a_file_already_on_disk_is_not_called_written(make, tree):
    """The checklist says `written` only for what this session wrote; an identical file was found."""
    from primus_tui.tui.widgets.checklist import Checklist
    from tui_helpers import answer

    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await fetch(pilot)
        await pilot.press("ctrl+o")
        await answer(pilot, "y")
        await settle(pilot)
        reasons = [i.detail for i in wizard(pilot).query_one(Checklist).items]
        assert reasons[1].endswith(" written") and reasons[2].endswith(" written"), reasons
    app = make()  # a new session over the same tree: the files are there, identical
    async with app.run_test(size=(100, 30)) as pilot:
        await fetch(pilot)
        reasons = [i.detail for i in wizard(pilot).query_one(Checklist).items]
        assert "already on disk, identical to the plan" in reasons[1], reasons
        assert not any(r.endswith(" written") for r in reasons), reasons


def test_the_experiment_header_does_not_claim_an_answers_file(hf_cache) -> None:
    """The same bytes come from the TUI and headless, so the header names neither."""
    text = WizardState.new().with_model(TINYLLAMA).experiment_yaml()
    assert text.splitlines()[0] == "# Primus experiment for tinyllama_1.1b_chat_v1.0, written by primus-tui."


async def test_a_long_dialog_keeps_its_buttons_on_an_80x24_screen(make):
    from primus_tui.tui.screens.confirm import ConfirmScreen

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ConfirmScreen("Overwrite x.yaml?", "\n".join(f"- line {i}" for i in range(60)), danger=True))
        await pilot.pause()
        await pilot.pause()
        for button in app.screen.query("Button"):
            region = button.region
            assert region.height > 0 and region.y + region.height <= 24, (button.id, region)


async def test_a_checkbox_shows_a_mark_only_when_ticked():
    from textual.app import App

    from primus_tui.tui.widgets.tickbox import TickBox

    class One(App):
        def compose(self):
            yield TickBox("dry run", id="box", compact=True)

    app = One()
    async with app.run_test(size=(40, 3)) as pilot:
        box = app.query_one(TickBox)
        assert box.render().plain.startswith("[ ]")
        await pilot.click("#box")
        assert box.value and box.render().plain.startswith("[✔]")


async def test_the_base_list_filters_as_you_type_and_keeps_ranks(make):
    from textual.widgets import OptionList

    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await fetch(pilot)
        await goto(pilot, "base")
        await pilot.press("slash")
        assert pilot.app.focused.id == "base-filter"
        await type_text(pilot, "language")
        await pilot.pause()
        olist = wizard(pilot).query_one("#base-list", OptionList)
        assert [olist.get_option_at_index(i).id for i in range(olist.option_count)] == ["language_model.yaml"]
        rank = [b.name for b in wizard(pilot).view.bases].index("language_model.yaml") + 1
        assert f"{rank:>2}. language_model.yaml" in olist.get_option_at_index(0).prompt.plain
        await pilot.press("enter", "enter")  # to the list, then choose
        await settle(pilot)
        assert wizard(pilot).state.base == "language_model.yaml"


async def test_undo_and_reset_a_field_to_its_hf_value(make):
    """ctrl+z undoes the last edit (the field shows it); F2 puts a field back to its HF value."""
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        await fetch(pilot)
        await type_into(pilot, "arch", "arch-num_layers", "4")
        assert wizard(pilot).state.answers.architecture == {"num_layers": 4}
        await pilot.press("ctrl+z")  # back to before the "4" (the "" of ctrl+u was an edit too)
        await settle(pilot)
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert wizard(pilot).state.answers.architecture == {}
        assert pilot.app.query_one("#arch-num_layers").value == "22"

        await replace_focused(pilot, "8")
        await settle(pilot)
        assert wizard(pilot).state.answers.architecture == {"num_layers": 8}
        await pilot.press("f2")
        await settle(pilot)
        assert wizard(pilot).state.answers.architecture == {}
        assert pilot.app.query_one("#arch-num_layers").value == "22"


def test_typing_the_hf_value_back_is_no_answer(hf_cache) -> None:
    """The core, not the screen, drops an architecture answer equal to the HF value (type-strict)."""
    state = WizardState.new().with_model(TINYLLAMA)
    assert state.set_field("num_layers", 4).set_field("num_layers", 22).answers.architecture == {}
    assert state.set_field("layernorm_epsilon", 1e-5).answers.architecture == {}
    assert state.set_field("num_layers", 22.0).answers.architecture == {"num_layers": 22.0}


async def test_rapid_down_presses_keep_the_focused_field_on_screen(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await fetch(pilot)
        await goto(pilot, "arch")
        await focus_input(pilot, "arch-num_layers")
        await pilot.press(*["down"] * 14)  # no pause: the scroll must not lag behind the focus
        focused, pane = pilot.app.focused, wizard(pilot).pane("arch")
        assert focused.id != "arch-num_layers"
        assert pane.region.contains_region(focused.region), (focused.id, focused.region, pane.region)


async def test_every_problem_can_be_read_in_full(make):
    """phi-2's reason is longer than the status line: F4 lists it whole; enter goes to its step."""
    from primus_tui.tui.screens.problems import ProblemsScreen

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await fetch(pilot, "microsoft/phi-2")
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, ProblemsScreen)
        full = str(wizard(pilot).view.errors[0])
        assert len(full) > 160 and full in [str(p) for p in app.screen.problems]
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is wizard(pilot) and wizard(pilot).step == 0

