"""Merged Megatron args -> megatron-core GPTModel architecture, translated as Primus + Megatron-LM do.

Pure Python, no torch. Each step mirrors the real code at the Megatron-LM commit Primus pins (the
registry in primus_tui/megatron names it), so a key real Primus ignores is ignored here too:

1. `megatron_args`: Primus's MegatronArgBuilder (every argparse default, overridden by the dests
   the config sets) and its train runtime, which merges all params back onto `args`.
2. `_validate_args`: the derivations of Megatron's `validate_args` that shape the network
   (ffn_hidden_size for SwiGLU, kv_channels, moe_ffn_hidden_size, num_experts 0 -> None, ...).
3. `core_transformer_config_kwargs`: `core_transformer_config_from_args`: every field of
   TransformerConfig (MLATransformerConfig with multi_latent_attention) present on args, then
   its explicit assignments (num_moe_experts, activation, num_query_groups, rope_type, ...).
4. GPTModel keywords as `gpt_builders.gpt_builder` passes them; GPTModel parameters it does not
   pass keep their defaults (`rope_scaling_factor` is always 8.0, whatever the YAML says).

What this single-process trainer cannot build (parallelism, FP8, heterogeneous layers, ...) is
rejected naming the key (exit 2) instead of silently training a different model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from primus_tui.hf.moe_layers import expand_freq, parse_freq
from primus_tui.megatron.registry import Registry, load_registry
from primus_tui.megatron.semantics import IMPLEMENTATION_FIELDS
from primus_tui.trainer.errors import UnsupportedConfig

POSITION_EMBEDDINGS = ("rope", "learned_absolute", "none")
NORMALIZATIONS = ("RMSNorm", "LayerNorm")

# Merged arg -> values this trainer can honour (a single process per rank, data parallel only).
_MUST_BE = {
    "tensor_model_parallel_size": (1, None),
    "pipeline_model_parallel_size": (1, None),
    "context_parallel_size": (1, None),
    "expert_model_parallel_size": (1, None),
    "virtual_pipeline_model_parallel_size": (None,),
    "qk_l2_norm": (False, None),
    "fp8": (None, False),
    "fp4": (None, False),
    "fp16": (False, None),
    "reset_attention_mask": (False, None),
    "heterogeneous_layers_config_path": (None,),
    "hybrid_layer_pattern": (None,),
    "experimental_attention_variant": (None,),
    "spec": (None,),
    "use_legacy_models": (False, None),
    "yaml_cfg": (None,),
    "mtp_num_layers": (None, 0),
    "init_method_xavier_uniform": (False, None),
    "kitchen_config_file": (None,),
    "kitchen_recipe_number": (None,),
    "te_precision_config_file": (None,),
    "moe_latent_size": (None,),
}


@dataclass(frozen=True)
class Architecture:
    """Everything needed to build the GPTModel; `activation` is a name so this stays torch-free.

    `config` holds the TransformerConfig keywords exactly as core_transformer_config_from_args
    computes them (minus the implementation-only fields, which the trainer sets per device).
    """

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
    multi_latent_attention: bool = False
    explicit_keys: frozenset[str] = frozenset()  # config keys the YAML set (the rest are Megatron's defaults)
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


def _literal_default(spec: Any) -> tuple[bool, Any]:
    """(True, value) for a JSON default; (False, None) for one the registry keeps as source text."""
    default = spec.default
    if isinstance(default, dict) and set(default) == {"expr"}:
        return False, None
    return True, default


def megatron_args(values: Mapping[str, Any], registry: Registry) -> dict[str, Any]:
    """Primus's `args`: argparse defaults < the config's dests, then every param merged back on top.

    Defaults that are expressions in Megatron's source (enums, callables) are left out: the
    dataclass default of the installed megatron-core applies for them, as it would for Megatron.
    """
    args: dict[str, Any] = {}
    for dest, spec in registry.args.items():
        known, default = _literal_default(spec)
        if known:
            args[dest] = default
    args.update(values)
    return args


def _int(values: Mapping[str, Any], key: str, *, required: bool = True, minimum: int = 1) -> int | None:
    value = values.get(key)
    if value is None:
        if required:
            raise UnsupportedConfig(key, "is required to build the model")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UnsupportedConfig(key, f"expected an integer >= {minimum}, got {value!r}")
    return value


def _check_supported(args: Mapping[str, Any]) -> None:
    for key, allowed in _MUST_BE.items():
        if args.get(key) not in allowed:
            shown = " or ".join("null" if a is None else str(a).lower() for a in allowed)
            raise UnsupportedConfig(key, f"{args.get(key)!r} is not supported by primus-tui's trainer (expected {shown})")
    if (args.get("model_type") or "gpt") != "gpt":
        raise UnsupportedConfig("model_type", f"{args.get('model_type')!r} is not supported (only gpt)")
    for key in ("squared_relu", "quick_geglu"):
        if args.get(key) and args.get("swiglu"):
            raise UnsupportedConfig(key, "cannot be combined with swiglu (Megatron asserts not args.swiglu)")


def _validate_args(args: dict[str, Any]) -> None:
    """The network-shaping derivations and checks of Megatron's `validate_args`, in its order."""
    for key in ("num_layers", "hidden_size", "num_attention_heads", "max_position_embeddings"):
        _int(args, key)
    if args.get("ffn_hidden_size") is None:
        hidden = args["hidden_size"]
        args["ffn_hidden_size"] = int((4 * hidden * 2 / 3) / 64) * 64 if args.get("swiglu") else 4 * hidden
    if args.get("kv_channels") is None:
        if args["hidden_size"] % args["num_attention_heads"]:
            raise UnsupportedConfig("num_attention_heads", f"{args['num_attention_heads']} does not divide "
                                                           f"hidden_size {args['hidden_size']} (set kv_channels)")
        args["kv_channels"] = args["hidden_size"] // args["num_attention_heads"]
    seq = args.get("seq_length")
    if seq is not None and args["max_position_embeddings"] < seq:
        raise UnsupportedConfig("max_position_embeddings", f"({args['max_position_embeddings']}) must be greater "
                                                           f"than or equal to seq_length ({seq})")
    if args.get("use_rotary_position_embeddings"):
        args["position_embedding_type"] = "rope"
    if args.get("num_experts") == 0:
        args["num_experts"] = None
    if args.get("num_experts") is not None and args.get("moe_ffn_hidden_size") is None:
        args["moe_ffn_hidden_size"] = args["ffn_hidden_size"]
    for key in ("moe_router_load_balancing_type", "moe_aux_loss_coeff"):
        if isinstance(args.get(key), list) and len(args[key]) == 1:
            args[key] = args[key][0]


def _activation(args: Mapping[str, Any]) -> tuple[str, bool]:
    """core_transformer_config_from_args: swiglu, then squared_relu / quick_geglu override it."""
    activation, gated = "gelu", False
    if args.get("swiglu"):
        activation, gated = "silu", True
    if args.get("squared_relu"):
        activation = "squared_relu"
    elif args.get("quick_geglu"):
        activation, gated = "quick_gelu", True
    return activation, gated


def core_transformer_config_kwargs(args: Mapping[str, Any], registry: Registry) -> dict[str, Any]:
    """`core_transformer_config_from_args` without the callables (activation is chosen in model.py)."""
    config_class = "MLATransformerConfig" if args.get("multi_latent_attention") else "TransformerConfig"
    kwargs = {name: args[name] for name in registry.config_fields(config_class) if name in args}
    kwargs["num_moe_experts"] = args.get("num_experts")
    kwargs["rotary_interleaved"] = args.get("rotary_interleaved")
    kwargs["num_query_groups"] = args.get("num_query_groups") if args.get("group_query_attention") else None
    if args.get("rope_type") is None:
        kwargs.pop("rope_type", None)
    elif not args.get("multi_latent_attention") and args["rope_type"] != "rope":
        raise UnsupportedConfig("rope_type", f'common attention only supports rope_type "rope", got {args["rope_type"]!r}')
    kwargs["moe_latent_size"] = args.get("moe_latent_size")
    return {k: v for k, v in kwargs.items() if k not in IMPLEMENTATION_FIELDS}


def _moe_layer_pattern(value: Any, num_layers: int) -> list[int]:
    """Megatron's moe_layer_freq (int N, list, or list expression string) as per-layer 0/1 flags."""
    flags = expand_freq(value, num_layers)
    if flags is None or len(flags) != num_layers:
        raise UnsupportedConfig("moe_layer_freq", f"{value!r} does not describe {num_layers} layers "
                                                  "(use an integer N or a list of 0/1, one per layer)")
    return flags


def _check_network(config: dict[str, Any]) -> list[str]:
    """Shape checks with the key named, before megatron-core's own asserts; returns warnings."""
    warnings: list[str] = []
    heads = config["num_attention_heads"]
    groups = config.get("num_query_groups")
    if groups is not None:
        _int(config, "num_query_groups")
        if heads % groups:
            raise UnsupportedConfig("num_query_groups", f"{groups} does not divide num_attention_heads {heads}")
    if config.get("normalization") not in NORMALIZATIONS:
        raise UnsupportedConfig("normalization", f"{config.get('normalization')!r} is not supported "
                                                 "(use RMSNorm or LayerNorm)")
    if config.get("num_moe_experts"):
        _int(config, "num_moe_experts")
        if config.get("moe_layer_freq") is not None:
            config["moe_layer_freq"] = _moe_layer_pattern(config["moe_layer_freq"], config["num_layers"])
    window = config.get("window_size")
    if window is not None:
        if (not isinstance(window, (list, tuple)) or len(window) != 2
                or not all(isinstance(w, int) and not isinstance(w, bool) and w >= -1 for w in window)):
            raise UnsupportedConfig("window_size", f"expected [left, right] integers >= -1, got {window!r}")
        config["window_size"] = (int(window[0]), int(window[1]))
        skip = config.get("window_attn_skip_freq")
        if skip is not None:
            parsed = parse_freq(skip)
            ok = (isinstance(parsed, int) and not isinstance(parsed, bool) and parsed >= 1) or (
                isinstance(parsed, list) and len(parsed) == config["num_layers"] and all(v in (0, 1) for v in parsed))
            if not ok:
                raise UnsupportedConfig("window_attn_skip_freq", f"{skip!r} is not an integer >= 1 or a list of "
                                                                 f"{config['num_layers']} 0/1 flags")
            config["window_attn_skip_freq"] = parsed
    return warnings


def architecture(values: Mapping[str, Any], vocab_size: int | None = None,
                 registry: Registry | None = None) -> Architecture:
    """Translate merged args into an Architecture; raise UnsupportedConfig naming the bad key.

    `vocab_size` is the tokenizer's size when one was found; else the config's `vocab_size`.
    """
    registry = registry or load_registry()
    args = megatron_args(values, registry)
    _check_supported(args)
    _validate_args(args)
    position = args.get("position_embedding_type") or "learned_absolute"
    if position not in POSITION_EMBEDDINGS:
        raise UnsupportedConfig("position_embedding_type", f"{position!r} is not supported (use rope or learned_absolute)")
    rotary_percent = float(1.0 if args.get("rotary_percent") is None else args["rotary_percent"])
    if position == "rope" and not 0.0 < rotary_percent <= 1.0:
        raise UnsupportedConfig("rotary_percent", f"must be in (0, 1], got {rotary_percent!r}")

    config = core_transformer_config_kwargs(args, registry)
    warnings = _check_network(config)
    if args.get("moe_grouped_gemm") and config.get("num_moe_experts"):
        warnings.append("moe_grouped_gemm: grouped GEMM needs Transformer Engine; using the sequential expert MLP")
    activation, gated = _activation(args)

    vocab = vocab_size if vocab_size is not None else _int(args, "vocab_size", required=False)
    padded = None
    if vocab is not None:
        padded = padded_vocab_size(vocab, args.get("make_vocab_size_divisible_by"),
                                   args.get("tensor_model_parallel_size", 1))
    return Architecture(
        config=config,
        activation=activation,
        gated=gated,
        vocab_size=vocab,
        padded_vocab_size=padded,
        max_sequence_length=int(args["max_position_embeddings"]),
        position_embedding_type=position,
        rotary_percent=rotary_percent,
        rotary_base=float(args.get("rotary_base") or 10000),
        rope_scaling=bool(args.get("use_rope_scaling")),
        rope_scaling_factor=float(registry.gpt_fixed["rope_scaling_factor"]),
        tied_embeddings=not args.get("untie_embeddings_and_output_weights", False),
        multi_latent_attention=bool(args.get("multi_latent_attention")),
        explicit_keys=frozenset(k for k in config if k in values),
        warnings=warnings,
    )
