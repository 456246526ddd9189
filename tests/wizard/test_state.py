"""`WizardState`, the API the Textual app drives: one call per step, pure, all problems at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from primus_tui.wizard import WizardState, execute
from primus_tui.wizard.checklist import build_checklist
from primus_tui.wizard.checks import check_state
from primus_tui.wizard.problems import errors_of
from primus_tui.wizard.state import RunOutcome
from primus_tui.wizard.verdict import preview as staged_preview, verify

from .conftest import TINY_EXP, TINY_MODEL, TINY_REPO

pytestmark = pytest.mark.usefixtures("hf_cache")


@pytest.fixture
def state(tree: Path) -> WizardState:
    return WizardState.new(tree).with_model(TINY_REPO).with_name("tinyllama_1.1B").with_base("language_model")


def paths(s: WizardState) -> list[str]:
    return [p.path for p in check_state(s)]


def test_new_state_asks_for_a_model(tree: Path) -> None:
    s = WizardState.new(tree)
    assert paths(s) == ["model"]
    items = build_checklist(s)
    assert [i.done for i in items] == [False] * 4
    assert items[0].reason == "no model chosen yet"


def test_with_model_fetches_maps_ranks_and_names(tree: Path, hf_cache: dict) -> None:
    s = WizardState.new(tree).with_model(TINY_REPO)
    assert s.hf.commit_sha == hf_cache[TINY_REPO]
    assert s.mapping.fields["num_query_groups"] == 4
    assert s.name == "tinyllama_1.1b_chat_v1.0"
    assert s.bases and s.base == s.bases[0].name
    assert check_state(s) == []
    assert s.field_source("num_layers") == "HF num_hidden_layers"


def test_fetch_error_is_a_problem_not_an_exception(tree: Path) -> None:
    s = WizardState.new(tree).with_model("nobody/not-cached")
    assert paths(s) == ["model.repo"]
    assert s.hf is None
    assert paths(s.with_model(TINY_REPO)) == []  # a new model clears it


def test_steps_are_pure(state: WizardState) -> None:
    changed = state.set_field("num_layers", 4)
    assert state.fields()["num_layers"] == 22 and changed.fields()["num_layers"] == 4
    assert changed.field_source("num_layers") == "answers (architecture)"
    assert changed.unset_field("num_layers").fields()["num_layers"] == 22
    assert state.answers.architecture == {}


def test_problems_carry_answer_paths(state: WizardState) -> None:
    s = state.set_field("num_layer", 4).set_override("seq_length", 4096).with_base("nope")
    problems = {p.path: p.message for p in check_state(s)}
    assert problems["base"].startswith("preset 'nope.yaml' not found")
    s = state.set_field("num_layer", 4).set_override("seq_length", 4096)
    problems = {p.path: p.message for p in check_state(s)}
    assert problems["architecture.num_layer"] == "unknown Megatron key (did you mean 'num_layers'?)"
    assert problems["experiment.overrides.seq_length"] == "4096 exceeds max_position_embeddings 2048"
    assert errors_of(check_state(s)) and errors_of(check_state(state)) == []


def test_base_cannot_be_the_file_being_written(state: WizardState) -> None:
    assert paths(state.with_base("tinyllama_1.1B")) == ["base"]


def test_hf_cross_field_checks_reach_the_answers(state: WizardState) -> None:
    s = state.set_override("tensor_model_parallel_size", 3)
    assert any(p.path == "experiment.overrides.tensor_model_parallel_size" for p in errors_of(check_state(s)))


def test_set_answer_is_checked_like_a_file(state: WizardState) -> None:
    s = state.set_answer("launch.mode", "sprint")
    assert paths(s) == ["launch.mode"]
    s = state.set_answer("experiment.overrides.train_iters", 90)
    assert s.overrides()["train_iters"] == 90 and check_state(s) == []
    assert s.mapping is not None  # model unchanged: no refetch, HF config kept


def test_outputs_plan_write_verify_checklist(state: WizardState, tree: Path) -> None:
    assert state.model_rel == TINY_MODEL and state.experiment_rel == TINY_EXP
    model, exp = state.model_yaml(), state.experiment_yaml()
    assert "extends:" in model and "language_model.yaml" in model
    assert "model: tinyllama_1.1B.yaml" in exp
    plan = state.plan()
    assert [f.action for f in plan.files] == ["create", "create"]
    assert [i.done for i in build_checklist(state, plan)] == [True, False, False, False]

    preview = staged_preview(state)
    assert preview.staged and preview.mismatches == {}
    assert preview.values["num_query_groups"] == 4
    assert "primus/configs/models/megatron/tinyllama_1.1B.yaml" in preview.chain
    assert "primus-tui-stage" not in str(preview.sources)  # sources name the real tree

    execute(plan)
    assert [f.action for f in state.plan().files] == ["unchanged", "unchanged"]
    res = verify(state)
    assert not res.staged and res.mismatches == {}
    assert res.values == preview.values | {}  # the preview was exact
    items = build_checklist(state)
    assert [i.done for i in items] == [True, True, True, False]
    assert build_checklist(state.with_run_result("run", 0))[3].done
    assert state.with_run_result("run", 1).run == RunOutcome("run", 1)


def test_verify_catches_an_architecture_the_files_do_not_give(state: WizardState, tree: Path) -> None:
    execute(state.plan())
    exp = tree / TINY_EXP
    data = yaml.safe_load(exp.read_text())
    exp.write_text(exp.read_text().replace("    overrides:\n", "    overrides:\n      num_layers: 3\n", 1))
    assert data  # the file was YAML before and after
    assert verify(state).mismatches == {"num_layers": (22, 3)}


def test_launch_command(state: WizardState, tree: Path) -> None:
    assert state.launch_command() is None
    s = state.with_launch("dry-run", env={"A": "1"}, overrides=("train_iters=2",))
    assert s.launch_command() == [str(tree / "primus-cli"), "--dry-run", "direct", "--env", "A=1", "--",
                                  "train", "pretrain", "--config", str(TINY_EXP), "train_iters=2"]


def test_to_answers_yaml_replays(state: WizardState, tree: Path) -> None:
    s = state.set_override("lr", 1.0e-4).set_field("num_layers", 4)
    again = WizardState.from_dict(yaml.safe_load(s.to_answers_yaml()))
    assert again.model_yaml() == s.model_yaml()
    assert again.experiment_yaml() == s.experiment_yaml()
    assert again.to_answers_yaml() == s.to_answers_yaml()
