"""Liveness verdicts on the bundled registry: what reaches the network, what is dead and why."""

from __future__ import annotations

import pytest

from primus_tui.megatron.liveness import choice_errors, classify
from primus_tui.megatron.registry import load_registry


@pytest.fixture(scope="module")
def reg():
    return load_registry()


def verdict(reg, key: str, value=1, **extra):
    return classify({key: value, **extra}, reg)[key]


def test_norm_epsilon_is_inert_off_deepseek_v4(reg) -> None:
    live = verdict(reg, "norm_epsilon", 1e-6, model_type="gpt")
    assert live.status == "inert" and live.dead
    assert "deepseek_v4" in live.reason and live.suggestion == "layernorm_epsilon"


def test_norm_epsilon_is_live_on_deepseek_v4(reg) -> None:
    assert verdict(reg, "norm_epsilon", 1e-6, model_type="deepseek_v4").status == "primus"
    assert classify({"norm_epsilon": 1e-6}, reg, model_type="deepseek_v4")["norm_epsilon"].status == "primus"


def test_typo_is_unknown_with_did_you_mean(reg) -> None:
    live = verdict(reg, "micro_batch_szie")
    assert live.status == "unknown" and live.suggestion == "micro_batch_size"


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("hidden_size", "network"),
        ("layernorm_epsilon", "network"),
        ("num_experts", "network"),  # core_transformer_config_from_args: num_moe_experts = args.num_experts
        ("max_position_embeddings", "network"),  # GPTModel(max_sequence_length=...)
        ("rotary_base", "network"),  # an MLA field, but gpt_builder passes it to GPTModel itself
        ("moe_grouped_gemm", "network"),  # the layer spec
        ("lr", "run"),
        ("micro_batch_size", "run"),
        ("trainable", "primus"),
        ("name", "primus"),
    ],
)
def test_statuses(reg, key: str, status: str) -> None:
    assert verdict(reg, key).status == status


def test_rope_scaling_factor_never_reaches_gpt_model(reg) -> None:
    live = verdict(reg, "rope_scaling_factor", 32.0)
    assert live.status == "inert" and live.reason == "gpt_builder does not pass it; GPTModel uses 8.0"


def test_mla_fields_need_multi_latent_attention(reg) -> None:
    assert verdict(reg, "q_lora_rank", 512).status == "inert"
    assert verdict(reg, "q_lora_rank", 512, multi_latent_attention=True).status == "network"


def test_choice_errors(reg) -> None:
    assert choice_errors({"normalization": "RMSNorm", "tokenizer_type": "Llama3Tokenizer"}, reg) == []
    [problem] = choice_errors({"normalization": "rmsnorm"}, reg)
    assert problem.startswith("normalization: 'rmsnorm' is not one of LayerNorm, RMSNorm")
    assert choice_errors({"moe_router_load_balancing_type": ["aux_loss", "bogus"]}, reg)[0].startswith(
        "moe_router_load_balancing_type: 'bogus'"
    )
    assert choice_errors({"normalization": None, "attention_backend": "flash"}, reg) == []


def test_dest_named_for_a_gpt_model_parameter_gpt_builder_never_passes_is_inert():
    """gpt_builder passes no seq_len_interpolation_factor: linear RoPE scaling never reaches GPTModel."""
    from primus_tui.megatron.liveness import classify_key
    from primus_tui.megatron.registry import load_registry

    verdict = classify_key("rotary_seq_len_interpolation_factor", load_registry(), model_type=None, mla=False)
    assert verdict.status == "inert" and "seq_len_interpolation_factor=None" in verdict.reason
