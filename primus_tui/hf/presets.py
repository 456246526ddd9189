"""Reading Primus model presets the way Megatron will: effective values and equality.

Which family a preset describes is the family objects' knowledge (`families.preset_family`).

Shared by base ranking, YAML rendering and the audit so that all three agree on when a preset
"already has" a value (1.0e-05 == 1e-5, moe_layer_freq 1 == "([1]*N)", unset kv_channels ==
hidden / heads, ...).
"""

from __future__ import annotations

import math

from primus_tui.hf import megatron_facts as facts
from primus_tui.hf.moe_layers import expand_freq
from primus_tui.hf.megatron_facts import ABSENT


def is_gpt_preset(data: dict) -> bool:
    """A plain GPT decoder preset (not mamba/hybrid/diffusion)."""
    return data.get("model_type", "gpt") == "gpt" and not data.get("hybrid_override_pattern") and not data.get("is_hybrid_model")


def raw_value(data: dict, key: str) -> object:
    """The value Megatron receives: the preset's, else Megatron's argparse default, else ABSENT."""
    if key in data:
        return data[key]
    return facts.default(key)


def with_defaults(data: dict, keys) -> dict:
    """`data` plus Megatron's default for each of `keys` it leaves unset (what Megatron parses)."""
    out = dict(data)
    for key in keys:
        if key not in out and (value := facts.default(key)) is not ABSENT:
            out[key] = value
    return out


def effective_values(data: dict) -> dict:
    """Preset values with Megatron's derivations applied (what the built model actually uses)."""
    out = dict(data)
    heads, hidden = out.get("num_attention_heads"), out.get("hidden_size")
    if isinstance(heads, int) and heads > 0:
        if not out.get("group_query_attention") or not out.get("num_query_groups"):
            out["num_query_groups"] = heads
        out["group_query_attention"] = out["num_query_groups"] != heads
        if not out.get("kv_channels") and isinstance(hidden, int):
            out["kv_channels"] = hidden // heads
    if out.get("num_experts") and not out.get("moe_ffn_hidden_size"):
        out["moe_ffn_hidden_size"] = out.get("ffn_hidden_size")  # TransformerConfig's default
    if not out.get("rope_type"):
        out["rope_type"] = "yarn" if out.get("multi_latent_attention") else None
    if out.get("rotary_seq_len_interpolation_factor") == 1:
        out["rotary_seq_len_interpolation_factor"] = None
    return out


def same(key: str, a: object, b: object, num_layers: int | None = None) -> bool:
    """Equal as Megatron would use them."""
    if a is ABSENT or b is ABSENT:
        return a is b
    if key == "moe_layer_freq" and num_layers:
        return expand_freq(a, num_layers) == expand_freq(b, num_layers)
    if key == "rotary_seq_len_interpolation_factor":
        a, b = (None if v == 1 else v for v in (a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return (a is True and b is True) or (a in (None, False) and b in (None, False))  # unset flag == off
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same("", x, y) for x, y in zip(a, b))
    return a == b
