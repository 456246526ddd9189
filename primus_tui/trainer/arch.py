"""Merged Megatron args -> megatron-core GPTModel architecture (pure Python, no torch).

Mirrors Megatron's `core_transformer_config_from_args` and `gpt_builders.gpt_builder` for the
fields a dense or MoE GPT needs, and rejects what this trainer cannot build (exit 2 naming the
key) instead of silently training a different model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from primus_tui.hf.moe_layers import expand_freq, parse_freq
from primus_tui.trainer.errors import UnsupportedConfig

POSITION_EMBEDDINGS = ("rope", "learned_absolute", "none")
NORMALIZATIONS = ("RMSNorm", "LayerNorm")

# TransformerConfig field <- merged Megatron arg, copied when the arg is set (not None).
_DIRECT = {
    "num_layers": "num_layers",
    "hidden_size": "hidden_size",
    "num_attention_heads": "num_attention_heads",
    "ffn_hidden_size": "ffn_hidden_size",
    "kv_channels": "kv_channels",
    "layernorm_epsilon": "norm_epsilon",
    "normalization": "normalization",
    "qk_layernorm": "qk_layernorm",
    "add_bias_linear": "add_bias_linear",
    "add_qkv_bias": "add_qkv_bias",
    "hidden_dropout": "hidden_dropout",
    "attention_dropout": "attention_dropout",
    "init_method_std": "init_method_std",
    "apply_residual_connection_post_layernorm": "apply_residual_connection_post_layernorm",
    "fp32_residual_connection": "fp32_residual_connection",
    "layernorm_zero_centered_gamma": "apply_layernorm_1p",
    "rotary_interleaved": "rotary_interleaved",
    "attention_softmax_in_fp32": "attention_softmax_in_fp32",
    "apply_query_key_layer_scaling": "apply_query_key_layer_scaling",
}
_MOE = {
    "num_moe_experts": "num_experts",
    "moe_ffn_hidden_size": "moe_ffn_hidden_size",
    "moe_router_topk": "moe_router_topk",
    "moe_layer_freq": "moe_layer_freq",
    "moe_shared_expert_intermediate_size": "moe_shared_expert_intermediate_size",
    "moe_shared_expert_gate": "moe_shared_expert_gate",
    "moe_router_load_balancing_type": "moe_router_load_balancing_type",
    "moe_router_score_function": "moe_router_score_function",
    "moe_router_pre_softmax": "moe_router_pre_softmax",
    "moe_router_topk_scaling_factor": "moe_router_topk_scaling_factor",
    "moe_router_num_groups": "moe_router_num_groups",
    "moe_router_group_topk": "moe_router_group_topk",
    "moe_router_enable_expert_bias": "moe_router_enable_expert_bias",
    "moe_router_dtype": "moe_router_dtype",
    "moe_aux_loss_coeff": "moe_aux_loss_coeff",
    "moe_z_loss_coeff": "moe_z_loss_coeff",
    "moe_expert_capacity_factor": "moe_expert_capacity_factor",
}
# Merged arg -> value(s) this trainer cannot honour (parallelism and exotic variants).
_MUST_BE = {
    "tensor_model_parallel_size": (1, None),
    "pipeline_model_parallel_size": (1, None),
    "context_parallel_size": (1, None),
    "expert_model_parallel_size": (1, None),
    "virtual_pipeline_model_parallel_size": (None,),
    "multi_latent_attention": (False, None),
    "qk_l2_norm": (False, None),
    "fp8": (None, False),
    "fp16": (False, None),
    "reset_attention_mask": (False, None),
    "heterogeneous_layers_config_path": (None,),
    "mtp_num_layers": (None, 0),
}


@dataclass(frozen=True)
class Architecture:
    """Everything needed to build the GPTModel; `activation` is a name so this stays torch-free."""

    config: dict[str, Any]
    activation: str  # "silu" (gated: SwiGLU), "gelu", "squared_relu", "quick_gelu"
    gated: bool
    vocab_size: int | None
    padded_vocab_size: int | None
    max_sequence_length: int
    position_embedding_type: str
    rotary_percent: float
    rotary_base: float
    rope_scaling: bool
    rope_scaling_factor: float
    tied_embeddings: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def num_query_groups(self) -> int:
        return self.config.get("num_query_groups") or self.config["num_attention_heads"]

    @property
    def head_dim(self) -> int:
        return self.config.get("kv_channels") or self.config["hidden_size"] // self.config["num_attention_heads"]

    @property
    def is_moe(self) -> bool:
        return bool(self.config.get("num_moe_experts"))


def padded_vocab_size(vocab_size: int, divisible_by: int | None, tensor_parallel: int | None = 1) -> int:
    """Megatron's `_vocab_size_with_padding`: round up to divisible_by x TP size."""
    multiple = max(1, int(divisible_by or 1)) * max(1, int(tensor_parallel or 1))
    return int(math.ceil(vocab_size / multiple) * multiple)


def _int(values: Mapping[str, Any], key: str, *, required: bool = True, minimum: int = 1) -> int | None:
    value = values.get(key)
    if value is None:
        if required:
            raise UnsupportedConfig(key, "is required to build the model")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UnsupportedConfig(key, f"expected an integer >= {minimum}, got {value!r}")
    return value


def _check_supported(values: Mapping[str, Any]) -> None:
    for key, allowed in _MUST_BE.items():
        if values.get(key) not in allowed:
            shown = " or ".join("null" if a is None else str(a).lower() for a in allowed)
            raise UnsupportedConfig(key, f"{values.get(key)!r} is not supported by primus-tui's trainer (expected {shown})")
    if (values.get("model_type") or "gpt") != "gpt":
        raise UnsupportedConfig("model_type", f"{values.get('model_type')!r} is not supported (only gpt)")
    for key in ("squared_relu", "quick_geglu", "openai_gelu"):
        if values.get(key) and values.get("swiglu"):
            raise UnsupportedConfig(key, "cannot be combined with swiglu")


def _activation(values: Mapping[str, Any]) -> tuple[str, bool]:
    if values.get("swiglu"):
        return "silu", True
    if values.get("squared_relu"):
        return "squared_relu", False
    if values.get("quick_geglu"):
        return "quick_gelu", True
    return "gelu", False


def _moe_layer_pattern(value: Any, num_layers: int) -> list[int]:
    """Megatron's moe_layer_freq (int N, list, or list expression string) as per-layer 0/1 flags."""
    flags = expand_freq(value, num_layers)
    if flags is None or len(flags) != num_layers:
        raise UnsupportedConfig("moe_layer_freq", f"{value!r} does not describe {num_layers} layers "
                                                  "(use an integer N or a list of 0/1, one per layer)")
    return flags


def _sliding_window(values: Mapping[str, Any], num_layers: int) -> dict[str, Any]:
    """window_size [left, right] (-1 = unbounded) and window_attn_skip_freq, checked for the SDPA attention."""
    window = values.get("window_size")
    if window is None:
        return {}
    if (not isinstance(window, (list, tuple)) or len(window) != 2
            or not all(isinstance(w, int) and not isinstance(w, bool) and w >= -1 for w in window)):
        raise UnsupportedConfig("window_size", f"expected [left, right] integers >= -1, got {window!r}")
    out: dict[str, Any] = {"window_size": (int(window[0]), int(window[1]))}
    skip = values.get("window_attn_skip_freq")
    if skip is not None:
        parsed = parse_freq(skip)
        ok = (isinstance(parsed, int) and not isinstance(parsed, bool) and parsed >= 1) or (
            isinstance(parsed, list) and len(parsed) == num_layers and all(v in (0, 1) for v in parsed))
        if not ok:
            raise UnsupportedConfig("window_attn_skip_freq", f"{skip!r} is not an integer >= 1 or a list of "
                                                             f"{num_layers} 0/1 flags")
        out["window_attn_skip_freq"] = parsed
    return out


def architecture(values: Mapping[str, Any], vocab_size: int | None = None) -> Architecture:
    """Translate merged args into an Architecture; raise UnsupportedConfig naming the bad key.

    `vocab_size` is the tokenizer's size when one was found; else the config's `vocab_size`.
    """
    _check_supported(values)
    warnings: list[str] = []
    layers = _int(values, "num_layers")
    hidden = _int(values, "hidden_size")
    heads = _int(values, "num_attention_heads")
    kv_channels = _int(values, "kv_channels", required=False)
    if kv_channels is None and hidden % heads:
        raise UnsupportedConfig("num_attention_heads", f"{heads} does not divide hidden_size {hidden} (set kv_channels)")
    groups = None
    if values.get("group_query_attention"):
        groups = _int(values, "num_query_groups")
        if heads % groups:
            raise UnsupportedConfig("num_query_groups", f"{groups} does not divide num_attention_heads {heads}")
    normalization = values.get("normalization") or "LayerNorm"
    if normalization not in NORMALIZATIONS:
        raise UnsupportedConfig("normalization", f"{normalization!r} is not supported (use RMSNorm or LayerNorm)")
    position = values.get("position_embedding_type") or "learned_absolute"
    if position not in POSITION_EMBEDDINGS:
        raise UnsupportedConfig("position_embedding_type", f"{position!r} is not supported (use rope or learned_absolute)")
    rotary_percent = float(1.0 if values.get("rotary_percent") is None else values["rotary_percent"])
    if position == "rope" and not 0.0 < rotary_percent <= 1.0:
        raise UnsupportedConfig("rotary_percent", f"must be in (0, 1], got {rotary_percent!r}")
    if values.get("rope_type") not in (None, "rope"):
        raise UnsupportedConfig("rope_type", f"{values.get('rope_type')!r} is not supported (use rope)")

    config: dict[str, Any] = {}
    for target, key in _DIRECT.items():
        if values.get(key) is not None:
            config[target] = values[key]
    config.update(num_layers=layers, hidden_size=hidden, num_attention_heads=heads, num_query_groups=groups,
                  normalization=normalization)
    if values.get("num_experts"):
        _int(values, "num_experts")
        for target, key in _MOE.items():
            if values.get(key) is not None:
                config[target] = values[key]
        if values.get("moe_layer_freq") is not None:
            config["moe_layer_freq"] = _moe_layer_pattern(values["moe_layer_freq"], layers)
        if values.get("moe_grouped_gemm"):
            warnings.append("moe_grouped_gemm: grouped GEMM needs Transformer Engine; using the sequential expert MLP")
    config.update(_sliding_window(values, layers))
    activation, gated = _activation(values)

    vocab = vocab_size if vocab_size is not None else _int(values, "vocab_size", required=False)
    padded = None
    if vocab is not None:
        padded = padded_vocab_size(vocab, values.get("make_vocab_size_divisible_by", 128),
                                   values.get("tensor_model_parallel_size", 1))
    max_positions = values.get("max_position_embeddings") or values.get("seq_length")
    if max_positions is None:
        raise UnsupportedConfig("max_position_embeddings", "is required (or seq_length)")
    return Architecture(
        config=config,
        activation=activation,
        gated=gated,
        vocab_size=vocab,
        padded_vocab_size=padded,
        max_sequence_length=int(max_positions),
        position_embedding_type=position,
        rotary_percent=rotary_percent,
        rotary_base=float(values.get("rotary_base") or 10000),
        rope_scaling=bool(values.get("use_rope_scaling")),
        rope_scaling_factor=float(values.get("rope_scaling_factor") or 8.0),
        tied_embeddings=not values.get("untie_embeddings_and_output_weights", False),
        warnings=warnings,
    )
