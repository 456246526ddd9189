"""Mapping steps every decoder family shares (size, norm + activation, tying, init, layer kinds).

Plain functions of the Builder: a family's `map` calls the ones its shape has, with its variants.
"""

from __future__ import annotations

from primus_tui.hf.builder import Builder


def size(b: Builder, *, kv_channels: bool = True) -> tuple[int, int, int]:
    """Layers, widths, heads and groups; `kv_channels` from head_dim (not for MLA). (layers, hidden, heads)"""
    layers, hidden, heads = b.int("num_hidden_layers"), b.int("hidden_size"), b.int("num_attention_heads")
    kv = b.get("num_key_value_heads")
    kv_src = b.src("num_key_value_heads")
    if kv is None:
        kv, kv_src = heads, "num_attention_heads (num_key_value_heads unset: multi-head attention)"
    # b.src: a config class alias names the key as the file spells it (EXAONE's num_layers)
    b.set("num_layers", layers, b.src("num_hidden_layers"))
    b.set("hidden_size", hidden, b.src("hidden_size"))
    b.set("ffn_hidden_size", b.int("intermediate_size"), b.src("intermediate_size"))
    b.set("num_attention_heads", heads, b.src("num_attention_heads"))
    b.set("group_query_attention", kv != heads, kv_src)
    b.set("num_query_groups", kv, kv_src)
    if kv_channels:
        head_dim = b.get("head_dim")
        if head_dim is None:
            b.set("kv_channels", hidden // heads if heads else 0, "hidden_size / num_attention_heads")
        else:
            b.set("kv_channels", head_dim, b.src("head_dim"))
    b.set("max_position_embeddings", b.int("max_position_embeddings"), b.src("max_position_embeddings"))
    b.set("vocab_size", b.int("vocab_size"), b.src("vocab_size"))
    return layers, hidden, heads


def norm_and_act(b: Builder) -> None:
    """Pre-norm RMSNorm layers with a SiLU-gated MLP (the llama layer)."""
    mt = b.mapping.model_type
    b.set("normalization", "RMSNorm", f"model_type={mt} (RMSNorm)")
    # The dest Megatron reads (flag --norm-epsilon); a `norm_epsilon` key is dropped by Primus.
    b.set("layernorm_epsilon", float(b.get("rms_norm_eps")), b.src("rms_norm_eps"))
    b.set("layernorm_zero_centered_gamma", False, f"model_type={mt} (plain RMSNorm weight; flag --apply-layernorm-1p)")
    act = b.get("hidden_act")
    b.set("swiglu", True, b.src("hidden_act"))
    if act not in ("silu", "swish"):
        b.unsupported("hidden_act", f"gated MLP with {act!r}: Megatron's swiglu is SiLU-gated only")
    b.set("qk_l2_norm", False, f"model_type={mt}")
    b.set("apply_residual_connection_post_layernorm", False, f"model_type={mt} (pre-norm)")


def tying(b: Builder) -> None:
    tie = b.get("tie_word_embeddings", False)
    b.set("untie_embeddings_and_output_weights", not bool(tie), b.src("tie_word_embeddings"))


def attention_dropout(b: Builder) -> None:
    att = float(b.get("attention_dropout", 0.0) or 0.0)
    b.set("attention_dropout", att, b.src("attention_dropout"))


def init_std(b: Builder) -> None:
    b.set("init_method_std", float(b.get("initializer_range")), b.src("initializer_range"))


def check_layer_types(b: Builder, layer_types: object, *, sliding_allowed: bool) -> None:
    """transformers' per-layer `layer_types`: fine when every layer is the one kind Megatron builds."""
    kinds = set(layer_types) if isinstance(layer_types, list) else {repr(layer_types)}
    ok = {"full_attention", "sliding_attention"} if sliding_allowed else {"full_attention"}
    if kinds <= ok and (len(kinds) <= 1):
        b.ignore("layer_types", "consistent with the attention settings")
    else:
        b.unsupported("layer_types", f"per-layer attention kinds {sorted(kinds)}: mixed layers are not expressible")


def num(value: object) -> object:
    """Integral floats as int (Megatron's rotary_base and interpolation factor are int arguments)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
