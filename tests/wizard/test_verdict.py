"""The core's verdict: the staged resolution is part of it, and values compare by Megatron's meaning."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixture_data import fixture_repo_ids
from primus_tui.megatron.meaning import megatron_meaning, same_meaning
from primus_tui.megatron.registry import load_registry
from primus_tui.steps import CHECK_LABELS, STEPS, step_of
from primus_tui.wizard import WizardState
from primus_tui.wizard import verdict as verdict_module
from primus_tui.wizard.verdict import assess

REFUSED = ("model.", "model")  # an unsupported or non-causal model is refused with its reason


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.mark.parametrize(("key", "asked", "got", "same"), [
    ("moe_layer_freq", 1, "1", True),  # Primus's build_args patch evals the string
    ("moe_layer_freq", [0, 1, 1, 1], "([0]*1+[1]*3)", True),
    ("moe_layer_freq", 1, "2", False),
    ("moe_layer_freq", 2, [1, 0, 1, 0], True),  # Megatron's int N: every N-th layer
    ("moe_shared_expert_gate", False, None, True),  # a store_true switch read by truth value
    ("moe_shared_expert_gate", True, None, False),
    ("num_layers", 1, True, False),  # bool is never an int
    ("hidden_size", 64, None, False),  # None is only False for switches
    ("rotary_base", 10000, 10000.0, True),
])
def test_same_meaning(registry, key, asked, got, same) -> None:
    assert same_meaning(key, asked, got, registry, {"num_layers": 4}) is same


def test_moe_layer_freq_meaning_is_the_layer_pattern(registry) -> None:
    assert megatron_meaning("moe_layer_freq", "1", registry, {"num_layers": 3}) == (1, 1, 1)


def test_top_ranked_base_of_every_supported_fixture_is_writable(hf_cache) -> None:
    """The wizard's own first choice of base must give a plan the core lets the user write."""
    writable = 0
    for repo in fixture_repo_ids():
        v = assess(WizardState.new().with_model(repo))
        if any(p.path.startswith(REFUSED) for p in v.errors):
            continue
        assert v.writable, (repo, [str(p) for p in v.errors])
        assert v.resolution is not None and v.resolution.mismatches == {}
        writable += 1
    assert writable >= 30


def test_a_resolution_mismatch_blocks_writing(hf_cache, monkeypatch) -> None:
    """Compared literally, Qwen3-MoE's preset `moe_layer_freq: "1"` differs from the asked 1: that blocks."""
    state = WizardState.new().with_model("Qwen/Qwen3-30B-A3B")
    assert assess(state).writable
    monkeypatch.setattr(verdict_module, "same_meaning", lambda key, a, g, *_: a == g and type(a) is type(g))
    v = assess(state)
    assert not v.writable
    [problem] = v.errors
    assert problem.path == "architecture.moe_layer_freq" and problem.source == "resolution"
    assert "resolves moe_layer_freq to '1', but the answers ask for 1" in problem.message


def test_steps_are_declared_once() -> None:
    from primus_tui.tui.commands import palette_entries
    from primus_tui.tui.panes import PANE_CLASSES
    from primus_tui.tui.screens.help import HELP_TEXT

    assert set(PANE_CLASSES) == {s.id for s in STEPS}
    assert [e.title for e in palette_entries()[: len(STEPS)]] == [f"Step {i}: {s.title}" for i, s in enumerate(STEPS, 1)]
    assert all(f"{s.number} {s.title}" in HELP_TEXT for s in STEPS)
    assert len(CHECK_LABELS) == 4  # the seed guide's four items, in step order
    owned = [head for s in STEPS for head in s.owns]
    assert len(owned) == len(set(owned))  # each answers key belongs to one step
    assert step_of("experiment.overrides.lr") == "experiment" and step_of("architecture.num_layers") == "arch"
    assert step_of("launch.env.X") == "launch" and step_of("accept_divergences[0]") == "arch"


def test_answer_keys_are_each_owned_by_a_step() -> None:
    from primus_tui.wizard.schema import Answers

    owned = {head for s in STEPS for head in s.owns}
    assert set(Answers().to_dict()) - {"version"} <= owned
