"""General rules the mapping must follow for real configs it has not seen: newer transformers
formats, export-tool noise, unknown families, bad sizes, models with an explicit head_dim."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from hf_helpers import load, mapped, supported_repo_ids

from primus_tui.hf import HFError, map_config, validate_fields

TINY = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"
ROPE_KEYS = ("rope_theta", "rope_scaling", "partial_rotary_factor")


def _as_transformers_v5(data: dict) -> dict:
    """transformers 5 writes RoPE as one `rope_parameters` object (theta, type, factors)."""
    out = {k: v for k, v in data.items() if k not in ROPE_KEYS}
    params = dict(data.get("rope_scaling") or {})
    params.pop("type", None)
    params["rope_type"] = (data.get("rope_scaling") or {}).get("rope_type") or \
        (data.get("rope_scaling") or {}).get("type") or "default"
    if "rope_theta" in data:
        params["rope_theta"] = data["rope_theta"]
    if "partial_rotary_factor" in data:
        params["partial_rotary_factor"] = data["partial_rotary_factor"]
    out["rope_parameters"] = params
    return out


@pytest.mark.parametrize("repo_id", supported_repo_ids())
def test_rope_parameters_of_transformers_v5_map_like_rope_theta_and_scaling(repo_id: str) -> None:
    data = load(repo_id)
    old, new = mapped(repo_id, data), mapped(repo_id, _as_transformers_v5(data))
    assert new.fields == old.fields
    assert not new.unsupported


def test_rope_parameters_per_attention_kind() -> None:
    data = load(TINY)
    full_only = {**_as_transformers_v5(data)}
    full_only["rope_parameters"] = {"full_attention": full_only["rope_parameters"]}
    assert map_config(full_only).fields == map_config(data).fields
    mixed = copy.deepcopy(full_only)
    mixed["rope_parameters"]["sliding_attention"] = {"rope_type": "default", "rope_theta": 10000.0}
    assert [k for k, _ in map_config(mixed).unsupported] == ["rope_parameters"]


def test_unsupported_rope_type_inside_rope_parameters_is_named() -> None:
    data = {**load(TINY), "rope_parameters": {"rope_type": "dynamic", "factor": 2.0, "rope_theta": 10000.0}}
    data.pop("rope_theta", None)
    assert [k for k, _ in map_config(data).unsupported] == ["rope_parameters"]


def test_export_tool_and_generation_noise_is_ignored_with_a_reason() -> None:
    """SmolLM2 (nanotron export) and configs written by old transformers carry keys that never
    reach the network; refusing them would refuse real models."""
    data = {**load(TINY), "is_llama_config": True, "rope_interleaved": False, "max_length": 4096, "top_p": 0.9,
            "temperature": 0.6, "id2label": {"0": "LABEL_0"}, "unk_token_id": 0}
    m = map_config(data)
    assert not m.unsupported
    assert {"is_llama_config", "rope_interleaved", "max_length", "top_p", "id2label"} <= set(m.ignored)
    assert m.fields == map_config(load(TINY)).fields


def test_mixed_layer_types_on_a_llama_family_model_are_unsupported() -> None:
    data = load(TINY)
    layers = data["num_hidden_layers"]
    uniform = map_config({**data, "layer_types": ["full_attention"] * layers})
    assert not uniform.unsupported and "layer_types" in uniform.ignored
    mixed = map_config({**data, "layer_types": ["sliding_attention", "full_attention"] * (layers // 2)})
    assert [k for k, _ in mixed.unsupported] == ["layer_types"]


def test_unknown_family_without_llama_keys_is_unsupported_not_a_missing_key_error() -> None:
    gpt2 = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": 768, "n_head": 12, "n_layer": 12,
            "n_positions": 1024, "vocab_size": 50257, "activation_function": "gelu_new"}
    m = map_config(gpt2)
    assert m.unsupported[0][0] == "model_type" and "'gpt2'" in m.unsupported[0][1]


@pytest.mark.parametrize(("key", "value", "needle"), [
    ("num_attention_heads", 0, "num_attention_heads must be positive, got 0"),
    ("num_hidden_layers", -2, "num_hidden_layers must be positive, got -2"),
    ("hidden_size", "2048", "hidden_size must be an integer, got '2048'"),
])
def test_bad_sizes_are_one_line_errors_naming_the_model(key: str, value: object, needle: str) -> None:
    from primus_tui.hf.fetch import HFConfig

    data = {**load(TINY), key: value}
    with pytest.raises(HFError) as info:
        map_config(HFConfig(ref=TINY, repo_id=TINY, revision=None, commit_sha=None, path=Path("config.json"), data=data))
    assert str(info.value) == f"{TINY}: config.json: {needle}"


def test_explicit_head_dim_is_the_models_design_not_a_warning() -> None:
    """Mistral-Nemo: 32 heads x head_dim 128 = 4096 != hidden 5120, exactly as published."""
    m = map_config(load("mistralai/Mistral-Nemo-Base-2407"))
    assert m.fields["kv_channels"] == 128 and m.fields["hidden_size"] == 5120
    assert not [p for p in validate_fields(m.fields, as_in_hf=m.fields.keys()) if p.field == "kv_channels"]
    edited = {**m.fields, "kv_channels": 96}  # a user edit that no longer matches the model is still flagged
    assert [p.severity for p in validate_fields(edited, as_in_hf=[k for k, v in m.fields.items() if edited[k] == v])
            if p.field == "kv_channels"] == ["warning"]


@pytest.mark.parametrize(("max_window_layers", "window", "unsupported"), [
    (48, None, []),  # no layer reaches max_window_layers: full attention everywhere
    (0, [4095, 0], []),  # every layer slides: one window for all, as Megatron expresses it
    (20, None, ["use_sliding_window"]),  # layers 20-47 only: not expressible
])
def test_qwen_sliding_window_follows_max_window_layers(max_window_layers, window, unsupported) -> None:
    data = {**load("Qwen/Qwen2.5-14B"), "use_sliding_window": True, "sliding_window": 4096,
            "max_window_layers": max_window_layers}
    m = map_config(data)
    assert [k for k, _ in m.unsupported] == unsupported
    if not unsupported:
        assert m.fields["window_size"] == window
