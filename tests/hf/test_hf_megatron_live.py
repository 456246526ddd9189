"""The generated model YAML as Megatron (at Primus's pinned commit) reads it: every written key is
live, the merged chain builds the HF network, dead base keys are overridden and named, and what
Megatron cannot express is refused unless accepted by name. Also: transformers 5 spellings."""

from __future__ import annotations

import inspect
import json
import math
from pathlib import Path

import pytest
import yaml
from hf_helpers import ACCEPT, accept_args, load, mapped, run_cli, supported_repo_ids

from primus_tui.config import ConfigTree
from primus_tui.hf import map_config, rank_bases, render_model_yaml
from primus_tui.hf import megatron_facts as facts
from primus_tui.hf.families import FAMILIES
from primus_tui.hf.implied import implied_values
from primus_tui.hf.keys import ABSENT_FEATURES
from primus_tui.hf.presets import raw_value, same

TREE = ConfigTree.at(None)


def _bases(mapping) -> list[str]:
    """Every base the ranking may pick: Options A and B and the top-ranked candidate."""
    ranked = rank_bases(mapping, TREE, quick=True)
    return sorted({c.name for c in ranked if c.option} | {ranked[0].name})


CASES = [(repo, base) for repo in supported_repo_ids() for base in _bases(mapped(repo))]


@pytest.mark.parametrize(("repo_id", "base"), CASES)
def test_written_keys_are_live_and_merged_network_is_the_hf_one(repo_id: str, base: str) -> None:
    mapping = mapped(repo_id)
    text = render_model_yaml(mapping, base, TREE, name="gen")
    written = {k: v for k, v in yaml.safe_load(text).items() if k not in ("extends", "tokenizer_type", "tokenizer_model")}
    base_data = TREE.load_preset(base, "models", "megatron").data
    merged = {**base_data, **written}
    live = facts.liveness(merged)
    dead = {k: live[k].describe() for k in written if live[k].status not in ("network", "run")}
    assert not dead, dead
    implied, _ = implied_values(mapping, base_data)
    for key in ABSENT_FEATURES:
        implied.setdefault(key, facts.default(key))
    n = mapping.fields["num_layers"]
    wrong = {k: (raw_value(merged, k), v) for k, v in implied.items()
             if facts.is_dest(k) and not same(k, raw_value(merged, k), v, n)}
    assert not wrong, wrong


def test_absent_features_are_network_dests() -> None:
    live = facts.liveness({key: None for key in ABSENT_FEATURES})
    assert {k: v.status for k, v in live.items() if v.status != "network"} == {}
    assert all(facts.is_dest(k) for k in ABSENT_FEATURES)


# ---------------------------------------------------------------- norm epsilon: the dest, and the dead base key

def test_layernorm_epsilon_is_written_and_the_dead_base_key_named() -> None:
    mapping = map_config(load("Qwen/Qwen2.5-7B"))
    assert "norm_epsilon" not in mapping.fields and mapping.fields["layernorm_epsilon"] == 1e-6
    text = render_model_yaml(mapping, "qwen2.5_7B.yaml", TREE, name="gen")
    assert "layernorm_epsilon: 1.0e-06  # rms_norm_eps\n" in text and "\nnorm_epsilon:" not in text
    assert "# dead key in qwen2.5_7B.yaml's chain: norm_epsilon: 1.0e-06 is never read by Megatron" in text


def test_import_report_names_the_dead_base_key(hf_cache) -> None:
    proc = run_cli("import", "Qwen/Qwen2.5-7B", "--base", "qwen2.5_7B.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "primus-tui: dead key: qwen2.5_7B.yaml's chain sets norm_epsilon: 1e-06" in proc.stderr


# ---------------------------------------------------------------- MLA without YaRN on a YaRN base

def test_deepseek_without_yarn_overrides_the_inherited_yarn_scale() -> None:
    from megatron.core.models.common.embeddings.yarn_rotary_pos_embedding import _yarn_get_mscale

    data = {k: v for k, v in load("deepseek-ai/DeepSeek-V2-Lite").items() if k != "rope_scaling"}
    mapping = map_config(data)
    written = yaml.safe_load(render_model_yaml(mapping, "deepseek_v3_base.yaml", TREE, name="gen"))
    merged = {**TREE.load_preset("deepseek_v3_base.yaml", "models", "megatron").data, **written}
    assert merged["rope_type"] == "rope"
    # multi_latent_attention.py: softmax_scale = mscale^2 / sqrt(q_head_dim), whatever rope_type is
    q_head_dim = merged["qk_head_dim"] + merged["qk_pos_emb_head_dim"]
    mscale = _yarn_get_mscale(raw_value(merged, "rotary_scaling_factor"), raw_value(merged, "mscale_all_dim"))
    assert math.isclose(mscale * mscale / math.sqrt(q_head_dim), 1 / math.sqrt(192))


def test_megatron_fixed_values_match_megatron_core() -> None:
    from megatron.core.models.common.embeddings.rotary_pos_embedding import RotaryEmbedding
    from megatron.core.transformer.transformer_config import MLATransformerConfig

    params = inspect.signature(RotaryEmbedding._apply_scaling).parameters
    assert {k: params[k].default for k in facts.LLAMA3_FIXED} == facts.LLAMA3_FIXED
    assert "_apply_scaling(self.inv_freq, factor=rope_scaling_factor)" in inspect.getsource(RotaryEmbedding.__init__)
    defaults = {f.name: f.default for f in MLATransformerConfig.__dataclass_fields__.values()}
    assert {k: defaults[k] for k in facts.MLA_FIXED} == facts.MLA_FIXED
    assert not any(facts.is_dest(k) for k in facts.MLA_FIXED)
    assert facts.gpt_fixed("rope_scaling_factor") == 8.0


# ---------------------------------------------------------------- accepted divergences

LLAMA32 = "meta-llama/Llama-3.2-1B"


def test_llama32_is_refused_naming_the_divergence(hf_cache) -> None:
    from hf_helpers import assert_one_line_error

    line = assert_one_line_error(run_cli("import", LLAMA32), 2, "rope_scaling.factor", "--accept-divergence rope_scaling_factor")
    assert "factor 8" in line and "gpt_builders.py does not pass rope_scaling_factor" in line
    assert_one_line_error(run_cli("import", LLAMA32, "--accept-divergence", "rope_factor"), 2,
                          "rope_factor", "acceptable: rope_scaling_factor")


def test_llama32_with_accepted_divergence(hf_cache) -> None:
    proc = run_cli("import", LLAMA32, "--accept-divergence", "rope_scaling_factor")
    assert proc.returncode == 0, proc.stderr
    comment = ("# accepted divergence: HF rope_scaling.factor 32; Megatron builds llama3 scaling with factor 8 "
               "(gpt_builders.py does not pass rope_scaling_factor)\n")
    assert comment in proc.stdout and "rope_scaling_factor:" not in proc.stdout.replace(comment, "")
    assert "primus-tui: accepted divergence: HF rope_scaling.factor 32" in proc.stderr
    assert yaml.safe_load(proc.stdout)["use_rope_scaling"] is True
    report = json.loads(run_cli("import", LLAMA32, "--json", "--accept-divergence", "rope_scaling_factor").stdout)
    assert report["accepted_divergences"] == [{"key": "rope_scaling_factor", "hf_key": "rope_scaling.factor",
                                               "hf_value": 32.0, "megatron_value": 8.0,
                                               "reason": "llama3 scaling with factor 8 (gpt_builders.py does not "
                                                         "pass rope_scaling_factor)"}]


def test_every_accepted_fixture_divergence_is_real() -> None:
    for repo_id, keys in ACCEPT.items():
        assert [d.key for d in map_config(load(repo_id)).divergences] == list(keys)
        assert accept_args(repo_id)


# ---------------------------------------------------------------- transformers 5 spellings (save_pretrained)

transformers = pytest.importorskip("transformers")

# One Hub fixture per supported family, shrunk to a few layers (same structure).
FAMILY_FIXTURES = {
    "llama": "meta-llama/Llama-3.1-8B", "mistral": "mistralai/Mistral-7B-v0.1", "qwen2": "Qwen/Qwen2.5-7B",
    "qwen3": "Qwen/Qwen3-8B", "mixtral": "mistralai/Mixtral-8x7B-v0.1", "qwen2_moe": "Qwen/Qwen1.5-MoE-A2.7B",
    "qwen3_moe": "Qwen/Qwen3-30B-A3B", "deepseek_v2": "deepseek-ai/DeepSeek-V2-Lite", "deepseek_v3": "deepseek-ai/DeepSeek-V3",
    "phi3": "microsoft/Phi-3-mini-4k-instruct", "exaone": "LGAI-EXAONE/EXAONE-3.0-7.8B-Instruct",
}
_NATIVE_DROPS = ("auto_map", "architectures", "_name_or_path", "transformers_version", "torch_dtype")


def _shrunk(repo_id: str) -> dict:
    data = load(repo_id)
    small = {"num_hidden_layers": 4, "hidden_size": 256, "intermediate_size": 512, "vocab_size": 1024}
    if "first_k_dense_replace" in data:
        small["first_k_dense_replace"] = 1
    return {**data, **{k: v for k, v in small.items() if k in data}}


@pytest.mark.parametrize("family", sorted(FAMILY_FIXTURES))
def test_transformers_save_pretrained_maps_like_the_hub_file(family: str, tmp_path: Path) -> None:
    hub = _shrunk(FAMILY_FIXTURES[family])
    cls = transformers.CONFIG_MAPPING[family]
    config = cls(**{k: v for k, v in hub.items() if k not in _NATIVE_DROPS and k != "model_type"})
    config.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    expected = mapped(FAMILY_FIXTURES[family], hub)
    got = map_config(saved)
    assert not got.unsupported, got.unsupported
    assert got.fields == expected.fields
    proc = run_cli("import", str(tmp_path), "--json", "--base", "language_model.yaml")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["fields"] == json.loads(json.dumps(expected.fields))


@pytest.mark.parametrize("family", sorted(FAMILY_FIXTURES))
def test_family_aliases_are_the_config_class_attribute_map(family: str) -> None:
    cls = transformers.CONFIG_MAPPING[family]
    attribute_map = dict(getattr(cls, "attribute_map", {}))
    # Either direction: the rules read one name, the file may spell the other.
    pairs = {frozenset(p) for p in FAMILIES[family].aliases.items()}
    assert pairs == {frozenset(p) for p in attribute_map.items()}, (FAMILIES[family].aliases, attribute_map)


def test_both_spellings_with_different_values_is_an_error() -> None:
    from primus_tui.hf import HFError

    data = {**load("Qwen/Qwen3-30B-A3B"), "num_local_experts": 64}
    with pytest.raises(HFError, match="num_local_experts 64 and num_experts 128"):
        map_config(data)
    spelled = {k: v for k, v in load("Qwen/Qwen3-30B-A3B").items() if k != "num_experts"} | {"num_local_experts": 128}
    m = map_config(spelled)
    assert m.fields["num_experts"] == 128 and m.hf_source["num_experts"] == "num_local_experts"
