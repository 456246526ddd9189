"""Field-level and cross-field checks on Megatron model fields.

`FIELD_VALIDATORS[key](value) -> (ok, message)` are the per-field rules the UI runs live (they
accept the typed value or the text of an input box); `validate_fields` adds the cross-field and
parallelism checks Megatron would otherwise fail on (or, worse, accept).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass

from primus_tui.hf.moe_layers import expand_freq
from primus_tui.hf.params import padded_vocab_size


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    severity: str = "error"  # "error" | "warning"


Validator = Callable[[object], "tuple[bool, str]"]


def _coerce_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _coerce_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _is_null(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in ("", "null", "none", "~"))


# Plausible ranges for sizes: beyond them no real model exists and the value is a typo or an attack
# (hidden_size 1e29 would only fail deep inside Megatron). Errors name the range.
MAX_SIZE = 1 << 24  # widths, vocabularies, positions, LoRA ranks (16,777,216)
MAX_COUNT = 1 << 16  # layers, heads, groups, experts, top-k (65,536)
MAX_ROTARY_BASE = 10**12


def positive_int(*, nullable: bool = False, zero_ok: bool = False, maximum: int = MAX_SIZE) -> Validator:
    def check(value: object) -> tuple[bool, str]:
        if nullable and _is_null(value):
            return True, ""
        n = _coerce_int(value)
        if n is None:
            return False, "must be a whole number" + (" or null" if nullable else "")
        if n < 0 or (n == 0 and not zero_ok):
            return False, "must be 0 or more" if zero_ok else "must be greater than 0"
        if n > maximum:
            return False, f"must be in [{0 if zero_ok else 1}, {maximum:,}] (no real model is larger)"
        return True, ""
    return check


def float_range(low: float, high: float, *, low_open: bool = False, high_open: bool = False, nullable: bool = False) -> Validator:
    def check(value: object) -> tuple[bool, str]:
        if nullable and _is_null(value):
            return True, ""
        x = _coerce_float(value)
        if x is None:
            return False, "must be a number"
        if not math.isfinite(x):  # NaN passes every comparison
            return False, "must be a finite number"
        if (x <= low if low_open else x < low) or (x >= high if high_open else x > high):
            lo, hi = ("(" if low_open else "["), (")" if high_open else "]")
            return False, f"must be in {lo}{low:g}, {high:g}{hi}"
        return True, ""
    return check


def boolean(value: object) -> tuple[bool, str]:
    if isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in ("true", "false")):
        return True, ""
    return False, "must be true or false"


def one_of(*choices: object, nullable: bool = False) -> Validator:
    def check(value: object) -> tuple[bool, str]:
        if nullable and _is_null(value):
            return True, ""
        if value in choices:
            return True, ""
        return False, "must be one of " + ", ".join(str(c) for c in choices)
    return check


def each(check: Validator) -> Validator:
    """A value or a non-empty list of values, each passing `check`."""
    def run(value: object) -> tuple[bool, str]:
        if isinstance(value, list) and value:
            for item in value:
                ok, message = check(item)
                if not ok:
                    return ok, message
            return True, ""
        return check(value)
    return run


def moe_layer_freq(value: object) -> tuple[bool, str]:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return (True, "") if value > 0 else (False, "must be greater than 0")
    if isinstance(value, (str, list)) and expand_freq(value, 1) is not None:
        return True, ""
    return False, 'must be an integer N or a list expression such as "([0]*1+[1]*26)"'


def window(value: object) -> tuple[bool, str]:
    if _is_null(value):
        return True, ""
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(_coerce_int(v) is not None for v in value):
        return True, ""
    return False, "must be null or [left, right] (tokens, -1 = unlimited)"


FIELD_VALIDATORS: dict[str, Validator] = {
    "hidden_size": positive_int(),
    **{k: positive_int(maximum=MAX_COUNT) for k in ("num_layers", "num_attention_heads")},
    # null: Megatron takes the vocabulary from the tokenizer and max positions from seq_length
    **{k: positive_int(nullable=True) for k in ("vocab_size", "max_position_embeddings")},
    **{k: positive_int(nullable=True) for k in (
        "ffn_hidden_size", "kv_channels", "moe_ffn_hidden_size", "moe_shared_expert_intermediate_size", "q_lora_rank",
        "kv_lora_rank", "qk_head_dim", "qk_pos_emb_head_dim", "v_head_dim", "original_max_position_embeddings",
        "rotary_seq_len_interpolation_factor")},
    **{k: positive_int(nullable=True, maximum=MAX_COUNT) for k in (
        "num_query_groups", "num_experts", "moe_router_topk", "moe_router_num_groups", "moe_router_group_topk")},
    "mtp_num_layers": positive_int(nullable=True, zero_ok=True, maximum=MAX_COUNT),
    "rotary_base": positive_int(maximum=MAX_ROTARY_BASE),
    **{k: boolean for k in (
        "group_query_attention", "swiglu", "untie_embeddings_and_output_weights", "add_bias_linear", "add_qkv_bias",
        "qk_layernorm", "qk_l2_norm", "layernorm_zero_centered_gamma", "apply_residual_connection_post_layernorm",
        "rotary_interleaved", "use_rope_scaling", "multi_latent_attention", "moe_shared_expert_gate",
        "moe_router_pre_softmax", "moe_router_enable_expert_bias")},
    "layernorm_epsilon": float_range(0.0, 1.0, low_open=True, high_open=True),
    "init_method_std": float_range(0.0, 1.0, low_open=True),
    "hidden_dropout": float_range(0.0, 1.0, high_open=True),
    "attention_dropout": float_range(0.0, 1.0, high_open=True),
    "rotary_percent": float_range(0.0, 1.0, low_open=True),
    "rope_scaling_factor": float_range(1.0, 1e6),
    "rotary_scaling_factor": float_range(1.0, 1e6),
    "mscale": float_range(0.0, 100.0),
    "mscale_all_dim": float_range(0.0, 100.0),
    "moe_router_topk_scaling_factor": float_range(0.0, 1e6, low_open=True, nullable=True),
    "moe_aux_loss_coeff": each(float_range(0.0, 1e3)),  # Megatron also takes a list (nargs='+')
    "moe_input_jitter_eps": float_range(0.0, 1.0, nullable=True),
    "normalization": one_of("RMSNorm", "LayerNorm"),
    "position_embedding_type": one_of("rope", "learned_absolute", "none", "yarn", "mrope", "relative"),
    "rope_type": one_of("rope", "yarn", nullable=True),
    "moe_router_score_function": one_of("softmax", "sigmoid", "sqrtsoftplus"),  # the last: Primus (DeepSeek-V4)
    "moe_router_load_balancing_type": each(one_of("aux_loss", "seq_aux_loss", "global_aux_loss", "sinkhorn", "none")),
    "moe_layer_freq": moe_layer_freq,
    "window_size": window,
}


# Valid but larger than any published model: a warning, not an error.
UNUSUAL_ABOVE = {"hidden_size": 1 << 16, "num_layers": 1 << 10, "num_attention_heads": 1 << 10, "num_experts": 1 << 12}


def validate_fields(
    fields: dict,
    *,
    seq_length: int | None = None,
    tensor_model_parallel_size: int = 1,
    pipeline_model_parallel_size: int = 1,
    expert_model_parallel_size: int = 1,
    context_parallel_size: int = 1,
    make_vocab_size_divisible_by: int = 128,
    num_gpus: int | None = None,
    as_in_hf: Collection[str] = (),
) -> list[Problem]:
    """Every problem with `fields` for the given parallel layout, errors first.

    `as_in_hf` names fields whose value is exactly the HF model's: an unusual shape there is the
    model's own design (e.g. Mistral-Nemo's head_dim 128 with hidden 5120), not a typo to flag.
    """
    problems: list[Problem] = []
    for key, value in fields.items():
        check = FIELD_VALIDATORS.get(key)
        if check is not None:
            ok, message = check(value)
            if not ok:
                problems.append(Problem(key, f"{key}: {message} (got {value!r})"))
    bad = {p.field for p in problems}
    for key, unusual in UNUSUAL_ABOVE.items():
        n = None if key in bad else _coerce_int(fields.get(key))
        if n is not None and n > unusual and key not in as_in_hf:
            problems.append(Problem(key, f"{key}: {n:,} is unusually large (above {unusual:,}); check it is intended",
                                    "warning"))

    def num(key: str) -> int | None:
        return None if key in bad else _coerce_int(fields.get(key))

    tp, pp, ep, cp = (max(1, int(x or 1)) for x in (tensor_model_parallel_size, pipeline_model_parallel_size,
                                                     expert_model_parallel_size, context_parallel_size))
    hidden, heads, layers = num("hidden_size"), num("num_attention_heads"), num("num_layers")
    kv_ch, ffn = num("kv_channels"), num("ffn_hidden_size")
    gqa = str(fields.get("group_query_attention")).lower() == "true"
    groups = num("num_query_groups") if gqa else heads
    mla = str(fields.get("multi_latent_attention")).lower() == "true"

    def err(field: str, message: str) -> None:
        problems.append(Problem(field, message, "error"))

    def warn(field: str, message: str) -> None:
        problems.append(Problem(field, message, "warning"))

    if hidden and heads:
        if not kv_ch and hidden % heads:
            err("num_attention_heads", f"hidden_size {hidden} is not divisible by num_attention_heads {heads} (or set kv_channels)")
        as_published = {"kv_channels", "num_attention_heads", "hidden_size"} <= set(as_in_hf)
        if kv_ch and not mla and kv_ch * heads != hidden and not as_published:
            warn("kv_channels", f"kv_channels {kv_ch} x num_attention_heads {heads} = {kv_ch * heads} differs from hidden_size "
                                f"{hidden}; right only for models with an explicit head_dim (e.g. Qwen3, Mistral-Nemo)")
    if gqa and heads and not groups:
        err("num_query_groups", "group_query_attention is true but num_query_groups is not set")
    if heads and groups and heads % groups:
        err("num_query_groups", f"num_attention_heads {heads} is not divisible by num_query_groups {groups}")
    if heads and heads % tp:
        err("num_attention_heads", f"num_attention_heads {heads} is not divisible by tensor_model_parallel_size {tp}")
    if groups and groups % tp and not mla:
        err("num_query_groups", f"num_query_groups {groups} is not divisible by tensor_model_parallel_size {tp}")
    if ffn and ffn % tp:
        err("ffn_hidden_size", f"ffn_hidden_size {ffn} is not divisible by tensor_model_parallel_size {tp}")
    if layers and layers % pp:
        err("num_layers", f"num_layers {layers} is not divisible by pipeline_model_parallel_size {pp}")

    vocab = num("vocab_size")
    if vocab:
        padded = padded_vocab_size(vocab, make_vocab_size_divisible_by, tp)
        if padded != vocab:
            warn("vocab_size", f"vocab_size {vocab} is padded to {padded} (make_vocab_size_divisible_by "
                               f"{make_vocab_size_divisible_by} x TP {tp}): {padded - vocab} extra embedding rows")

    max_pos = num("max_position_embeddings")
    if seq_length is not None:
        seq = _coerce_int(seq_length)
        if seq is None or seq <= 0:
            err("seq_length", f"seq_length must be a positive whole number, got {seq_length!r}")
        else:
            if max_pos and seq > max_pos:
                err("seq_length", f"seq_length {seq} exceeds max_position_embeddings {max_pos} (the model was built for at most {max_pos})")
            if cp > 1 and seq % (2 * cp):
                err("seq_length", f"seq_length {seq} must be divisible by 2 x context_parallel_size = {2 * cp}")
            window_size = fields.get("window_size")
            if isinstance(window_size, (list, tuple)) and window_size and _coerce_int(window_size[0]) is not None \
                    and seq > int(window_size[0]) + 1:
                warn("window_size", f"seq_length {seq} is longer than the sliding window ({int(window_size[0]) + 1}); "
                                    "primus-cli's trainer masks it; upstream Megatron needs Transformer Engine or flash attention for it")

    experts = num("num_experts")
    topk = num("moe_router_topk")
    if experts:
        if topk and topk > experts:
            err("moe_router_topk", f"moe_router_topk {topk} exceeds num_experts {experts}")
        if experts % ep:
            err("num_experts", f"num_experts {experts} is not divisible by expert_model_parallel_size {ep}")
        n_groups, group_topk = num("moe_router_num_groups"), num("moe_router_group_topk")
        if n_groups:
            if experts % n_groups:
                err("moe_router_num_groups", f"num_experts {experts} is not divisible by moe_router_num_groups {n_groups}")
            if group_topk and group_topk > n_groups:
                err("moe_router_group_topk", f"moe_router_group_topk {group_topk} exceeds moe_router_num_groups {n_groups}")
            if topk and group_topk and topk % group_topk:
                err("moe_router_group_topk", f"moe_router_topk {topk} is not divisible by moe_router_group_topk {group_topk}")
        if layers and "moe_layer_freq" not in bad:
            flags = expand_freq(fields.get("moe_layer_freq", 1), layers)
            if flags is None or len(flags) != layers:
                err("moe_layer_freq", f"moe_layer_freq {fields.get('moe_layer_freq')!r} does not describe {layers} layers")
    elif ep > 1:
        err("expert_model_parallel_size", f"expert_model_parallel_size {ep} needs a mixture-of-experts model (num_experts)")

    if num_gpus is not None:
        gpus = _coerce_int(num_gpus)
        model_parallel = tp * pp * cp
        if not gpus or gpus <= 0:
            err("num_gpus", f"number of GPUs must be a positive whole number, got {num_gpus!r}")
        elif gpus % model_parallel:
            err("num_gpus", f"{gpus} GPUs is not a multiple of TP x PP x CP = {model_parallel}")
        elif experts and (gpus // pp) % (ep * tp):
            err("expert_model_parallel_size", f"{gpus // pp} GPUs per pipeline stage is not a multiple of EP x TP = {ep * tp}")
    problems.sort(key=lambda p: p.severity != "error")
    return problems
