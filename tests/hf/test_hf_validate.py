"""validate_fields and FIELD_VALIDATORS: field-level messages for what Megatron would reject or mis-build."""

from __future__ import annotations

import pytest
from hf_helpers import load, mapped, supported_repo_ids

from primus_tui.hf import FIELD_VALIDATORS, Problem, map_config, validate_fields

TINY = map_config(load("TinyLlama/TinyLlama-1.1B-Chat-v1.0")).fields


def errors(problems: list[Problem]) -> dict[str, str]:
    return {p.field: p.message for p in problems if p.severity == "error"}


@pytest.mark.parametrize("repo_id", supported_repo_ids())
def test_supported_fixtures_have_no_errors(repo_id: str) -> None:
    assert errors(validate_fields(mapped(repo_id).fields)) == {}


@pytest.mark.parametrize("key,value,ok", [
    ("num_layers", 22, True), ("num_layers", "22", True), ("num_layers", 0, False), ("num_layers", "x", False),
    ("num_layers", True, False), ("num_query_groups", None, True), ("num_query_groups", "null", True),
    ("layernorm_epsilon", 1e-5, True), ("layernorm_epsilon", "1e-5", True), ("layernorm_epsilon", 0, False), ("layernorm_epsilon", 2, False),
    ("hidden_dropout", 0.0, True), ("hidden_dropout", 1.0, False), ("rotary_percent", 0.5, True), ("rotary_percent", 0, False),
    ("normalization", "RMSNorm", True), ("normalization", "rmsnorm", False), ("swiglu", "true", True), ("swiglu", "yes", False),
    ("moe_layer_freq", "([0]*1+[1]*26)", True), ("moe_layer_freq", "([0]*1+", False), ("moe_layer_freq", 2, True),
    ("window_size", [4095, 0], True), ("window_size", [1], False), ("rope_type", None, True), ("rope_type", "ntk", False),
])
def test_field_validators(key: str, value: object, ok: bool) -> None:
    good, message = FIELD_VALIDATORS[key](value)
    assert good is ok and (good or message)


def test_field_error_names_field_and_value() -> None:
    problems = validate_fields({**TINY, "num_layers": -3})
    assert errors(problems)["num_layers"] == "num_layers: must be greater than 0 (got -3)"


@pytest.mark.parametrize("change,field,needle", [
    ({"kv_channels": None, "hidden_size": 2050}, "num_attention_heads", "not divisible by num_attention_heads 32"),
    ({"num_query_groups": 5}, "num_query_groups", "not divisible by num_query_groups 5"),
    ({"group_query_attention": True, "num_query_groups": None}, "num_query_groups", "not set"),
    ({"num_experts": 4, "moe_router_topk": 8, "moe_layer_freq": 1}, "moe_router_topk", "exceeds num_experts 4"),
    ({"num_experts": 8, "moe_router_topk": 2, "moe_layer_freq": "([1]*3)"}, "moe_layer_freq", "does not describe 22 layers"),
])
def test_cross_field_errors(change: dict, field: str, needle: str) -> None:
    found = errors(validate_fields({**TINY, **change}))
    assert needle in found[field], found


def test_kv_channels_times_heads_is_a_warning_for_qwen3() -> None:
    problems = validate_fields(map_config(load("Qwen/Qwen3-0.6B")).fields)
    assert [p.field for p in problems if p.severity == "warning"] == ["kv_channels"]


def test_seq_length_beyond_max_positions() -> None:
    assert "exceeds max_position_embeddings 2048" in errors(validate_fields(TINY, seq_length=4096))["seq_length"]
    assert errors(validate_fields(TINY, seq_length=2048)) == {}


def test_vocab_padding_warning() -> None:
    fields = map_config(load("microsoft/Phi-3-mini-4k-instruct")).fields
    warning = next(p for p in validate_fields(fields) if p.field == "vocab_size")
    assert warning.severity == "warning" and "padded to 32128" in warning.message and "64 extra" in warning.message
    assert not any(p.field == "vocab_size" for p in validate_fields(TINY))


def test_parallel_divisibility() -> None:
    found = errors(validate_fields(TINY, tensor_model_parallel_size=8, pipeline_model_parallel_size=4))
    assert "tensor_model_parallel_size 8" in found["num_query_groups"]  # 4 KV heads cannot split 8 ways
    assert "pipeline_model_parallel_size 4" in found["num_layers"]  # 22 layers
    assert errors(validate_fields(TINY, tensor_model_parallel_size=4, pipeline_model_parallel_size=2)) == {}


def test_expert_parallel() -> None:
    mixtral = map_config(load("mistralai/Mixtral-8x7B-v0.1")).fields
    assert "expert_model_parallel_size 3" in errors(validate_fields(mixtral, expert_model_parallel_size=3))["num_experts"]
    assert "needs a mixture-of-experts" in errors(validate_fields(TINY, expert_model_parallel_size=2))["expert_model_parallel_size"]
    assert errors(validate_fields(mixtral, expert_model_parallel_size=8, num_gpus=8)) == {}


def test_context_parallel_and_gpu_count() -> None:
    assert "2 x context_parallel_size" in errors(validate_fields(TINY, seq_length=2046, context_parallel_size=2))["seq_length"]
    assert "not a multiple of TP x PP x CP" in errors(validate_fields(TINY, tensor_model_parallel_size=2, num_gpus=3))["num_gpus"]


def test_group_routing_checks() -> None:
    v3 = map_config(load("deepseek-ai/DeepSeek-V3")).fields
    assert errors(validate_fields(v3)) == {}
    assert "moe_router_num_groups 7" in errors(validate_fields({**v3, "moe_router_num_groups": 7}))["moe_router_num_groups"]


def test_errors_come_before_warnings() -> None:
    problems = validate_fields({**map_config(load("microsoft/Phi-3-mini-4k-instruct")).fields, "num_layers": 0})
    severities = [p.severity for p in problems]
    assert severities == sorted(severities, key=lambda s: s != "error")
