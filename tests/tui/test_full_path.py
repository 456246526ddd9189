"""The whole wizard by keys only: TinyLlama (offline HF cache) -> base -> fields -> preview -> write
-> a real tiny CPU run through primus-cli; four ticks; the same files as the headless mode."""

from __future__ import annotations

import shutil

from textual.widgets import Checkbox, OptionList

from primus_tui.tui.screens.save_answers import SaveAnswersScreen
from primus_tui.tui.widgets.checklist import Checklist
from primus_tui.tui.widgets.resolved_table import ResolvedTable
from tui_helpers import (
    TINY_FIELDS,
    TINY_OVERRIDES,
    TINYLLAMA,
    answer,
    fetch,
    focus_input,
    next_step,
    set_field,
    settle,
    wait_for_modal,
)


async def test_keys_only_tinyllama_to_finished_run(make, tree, tmp_path, primus_tree_copy):
    app = make()
    async with app.run_test(size=(100, 30)) as pilot:
        wiz = app.screen
        await fetch(pilot)
        assert wiz.state.hf is not None and wiz.state.hf.repo_id == TINYLLAMA

        await next_step(pilot)  # Base: the ranked list has focus; enter chooses the highlighted one
        assert wiz.step == 1 and isinstance(app.focused, OptionList)
        await pilot.press("enter")
        await settle(pilot)
        assert wiz.state.answers.base == wiz.view.bases[0].name
        ticks = wiz.query_one(Checklist).items
        assert ticks[0].done and not any(i.done for i in ticks[1:])

        await next_step(pilot)  # Architecture: shrink to the tiny CPU model
        assert wiz.step == 2
        for key, value in TINY_FIELDS.items():
            await set_field(pilot, f"arch-{key}", value)
        fields = wiz.state.fields()
        assert {k: fields[k] for k in TINY_FIELDS} == {k: int(v) for k, v in TINY_FIELDS.items()}
        assert not wiz.view.errors, wiz.view.errors

        await next_step(pilot)  # Experiment
        assert wiz.step == 3
        await set_field(pilot, "exp-name", "tinyllama_tiny")
        for key, value in TINY_OVERRIDES.items():
            await set_field(pilot, f"exp-overrides-{key.replace('_', '-')}", value)
        await focus_input(pilot, "exp-add")  # any Megatron key: 3 iterations need a short warmup
        await pilot.press(*"lr_warmup_iters=1", "enter")
        await settle(pilot)
        assert wiz.state.answers.experiment.overrides["lr_warmup_iters"] == 1
        assert wiz.state.name == "tinyllama_tiny"
        assert wiz.state.overrides()["train_iters"] == 3

        await next_step(pilot)  # Preview: every resolved key, filterable
        assert wiz.step == 4
        table = wiz.query_one(ResolvedTable)
        assert len(table.rows) > 100
        await focus_input(pilot, "key-filter")
        await pilot.press(*"num_layers")
        await settle(pilot)
        assert [r.value for r in table.shown if r.key == "num_layers"] == ["2"]
        assert all(r.source.startswith("tinyllama_tiny.yaml:") for r in table.shown if r.key == "num_layers")
        # keys Megatron will not read are marked, with the live dest and the reason one key away
        await pilot.press(*("backspace",) * len("num_layers"), *"epsilon", "enter")
        await settle(pilot)
        rows = {r.key: r for r in table.shown}
        assert rows["norm_epsilon"].dead and not rows["layernorm_epsilon"].dead
        assert rows["layernorm_epsilon"].source.startswith("tinyllama_tiny.yaml:")
        await pilot.press("home")
        await settle(pilot)
        detail = str(table.query_one("#key-detail").render())
        assert detail.startswith("norm_epsilon = ") and "dead: inert -> layernorm_epsilon" in detail, detail

        await next_step(pilot)  # Write & Launch
        assert wiz.step == 5
        await focus_input(pilot, "launch-single")
        await pilot.press("space")
        assert app.focused.value is True and isinstance(app.focused, Checkbox)

        await pilot.press("ctrl+r")  # launch: asks to write first
        await answer(pilot, "y")
        await answer(pilot, "y")  # then asks to launch
        await settle(pilot)

        panel = wiz.launch_pane.run_panel
        assert wiz.last_run is not None and wiz.last_run.returncode == 0, wiz.last_run
        assert panel.query_one("#run-status").state == "finished"
        assert panel.last_step.iteration == 3 and panel.last_step.train_iters == 3
        assert len(panel.metrics.loss) == 3
        assert wiz.last_run.log_path.is_file() and "iteration" in wiz.last_run.log_path.read_text()
        assert wiz.query_one(Checklist).ticks == 4, wiz.query_one(Checklist).items

        await pilot.press("ctrl+s")  # save answers for the headless replay
        await wait_for_modal(pilot, SaveAnswersScreen)
        await pilot.press("enter")
        await settle(pilot)
        answers = tmp_path / "answers.yaml"
        assert answers.is_file()
        model_rel, exp_rel = wiz.state.model_rel, wiz.state.experiment_rel

    # The headless mode, given the saved answers, writes the same bytes into a fresh tree.
    from primus_tui.wizard.headless import HeadlessOptions, run_headless

    fresh = tmp_path / "fresh_root"
    shutil.copytree(tree / "primus", fresh / "primus")
    shutil.copytree(tree / "examples", fresh / "examples")
    (fresh / model_rel).unlink()
    (fresh / exp_rel).unlink()
    code = run_headless(HeadlessOptions(answers=answers, primus_root=str(fresh), launch="none"))
    assert code == 0
    for rel in (model_rel, exp_rel):
        assert (fresh / rel).read_bytes() == (tree / rel).read_bytes(), rel
