"""RoPE settings of standard (non-MLA) attention: rope_theta + rope_scaling (transformers 4.x)
or rope_parameters (5.x), llama3 and linear scaling as Megatron builds them."""

from __future__ import annotations

from dataclasses import dataclass

from primus_tui.hf import megatron_facts as facts
from primus_tui.hf.builder import Builder
from primus_tui.hf.families.steps import num


@dataclass
class RopeSettings:
    theta: object
    theta_src: str
    scaling: object  # the rope_scaling-style dict (rope_type + its factors), or None
    scaling_src: str
    partial: object = None  # partial_rotary_factor given inside rope_parameters


def rope_settings(b: Builder) -> RopeSettings | None:
    """RoPE from `rope_theta` + `rope_scaling` (transformers 4.x) or `rope_parameters` (5.x).

    `rope_parameters` holds rope_theta, rope_type and the scaling factors in one object (or one
    object per attention kind, e.g. {"full_attention": {...}, "sliding_attention": {...}}).
    """
    if not b.has("rope_parameters") or b.data["rope_parameters"] is None:
        b.ignore("rope_parameters", "null: rope_theta / rope_scaling apply")
        return RopeSettings(b.get("rope_theta"), b.src("rope_theta"), b.get("rope_scaling"), b.src("rope_scaling"))
    params, src = b.get("rope_parameters"), "rope_parameters"
    if isinstance(params, dict) and params and set(params) <= {"full_attention", "sliding_attention"}:
        if set(params) != {"full_attention"}:
            b.unsupported("rope_parameters", f"RoPE settings per attention kind {sorted(params)}: one RoPE for all "
                                             "layers is all Megatron expresses")
            return None
        params, src = params["full_attention"], "rope_parameters.full_attention"
    if not isinstance(params, dict):
        b.unsupported("rope_parameters", f"expected an object, got {params!r}")
        return None
    if b.has("rope_scaling"):
        b.ignore("rope_scaling", "superseded by rope_parameters")
    if "rope_theta" in params:
        theta, theta_src = params["rope_theta"], f"{src}.rope_theta"
        if b.has("rope_theta"):
            b.ignore("rope_theta", f"superseded by {src}.rope_theta")
    else:
        theta, theta_src = b.get("rope_theta"), b.src("rope_theta")
    kind = params.get("rope_type") or params.get("type") or "default"
    return RopeSettings(theta, theta_src, None if kind == "default" else params, src,
                        params.get("partial_rotary_factor"))


def rope(b: Builder, *, partial_rotary_key: bool = False) -> None:
    """Rotate-half RoPE on every layer. `partial_rotary_key`: the config class has a
    partial_rotary_factor attribute (its default applies when config.json omits it)."""
    mt = b.mapping.model_type
    b.set("position_embedding_type", "rope", f"model_type={mt} (rotary)")
    settings = rope_settings(b)
    if settings is None:
        return
    b.set("rotary_base", num(settings.theta), settings.theta_src)
    if settings.partial is not None:
        b.set("rotary_percent", float(settings.partial), f"{settings.scaling_src}.partial_rotary_factor")
    elif partial_rotary_key or b.has("partial_rotary_factor"):
        b.set("rotary_percent", float(b.get("partial_rotary_factor", 1.0)), b.src("partial_rotary_factor"))
    else:
        b.set("rotary_percent", 1.0, f"model_type={mt} (full rotary)")
    b.set("rotary_interleaved", False, f"model_type={mt} (rotate-half RoPE)")
    b.set("use_rope_scaling", False, settings.scaling_src)
    rs = settings.scaling
    if not rs:
        return
    if not isinstance(rs, dict):
        b.unsupported("rope_scaling", f"expected an object, got {rs!r}")
        return
    kind = rs.get("rope_type") or rs.get("type")
    if kind == "default":
        return
    if kind == "llama3":
        _llama3(b, rs, settings.scaling_src)
        return
    if kind == "linear":
        # --rotary-seq-len-interpolation-factor parses, but gpt_builder never passes it to GPTModel.
        fixed = facts.gpt_fixed("seq_len_interpolation_factor")
        factor = rs.get("factor")
        if factor != fixed and not (fixed is None and factor == 1):
            b.diverge("rotary_seq_len_interpolation_factor", f"{settings.scaling_src}.factor", factor, fixed,
                      f"RoPE with seq_len_interpolation_factor {fixed} (gpt_builders.py does not pass "
                      "rotary_seq_len_interpolation_factor)")
        return
    if kind == "yarn":
        b.unsupported(settings.scaling_src, "rope_type 'yarn' on standard attention: not mapped (primus-tui maps YaRN "
                                            "for multi-latent attention only; the trainer builds rope or llama3 scaling)")
        return
    b.unsupported(settings.scaling_src, f"rope_type {kind!r}: no Megatron argument reproduces it for standard attention")


def _llama3(b: Builder, rs: dict, at: str) -> None:
    """llama3 scaling: Megatron builds it with GPTModel's fixed factor and _apply_scaling's fixed
    frequencies (gpt_builder passes only rope_scaling=use_rope_scaling); other values diverge."""
    fixed = float(facts.gpt_fixed("rope_scaling_factor"))
    b.set("use_rope_scaling", True, f"{at}.rope_type=llama3 (factor {fixed:g}: GPTModel's fixed rope_scaling_factor)")
    factor = rs.get("factor")
    if not isinstance(factor, (int, float)) or float(factor) != fixed:
        b.diverge("rope_scaling_factor", f"{at}.factor", factor, fixed, f"llama3 scaling with factor {fixed:g} "
                  "(gpt_builders.py does not pass rope_scaling_factor)")
    for key, value in facts.LLAMA3_FIXED.items():
        if rs.get(key) != value:
            b.diverge(f"rope_{key}", f"{at}.{key}", rs.get(key), value, f"llama3 scaling with {key} {value:g} "
                      "(hard-coded in Megatron's RotaryEmbedding._apply_scaling)")
