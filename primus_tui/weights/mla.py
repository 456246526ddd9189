"""Rules for megatron-core's MLASelfAttention (DeepSeek-V2/V3 multi-latent attention).

Row layouts agree per head: q_b_proj/q_proj are [nope; rope] and kv_b_proj is [k_nope; v], like
linear_q_up_proj / linear_kv_up_proj; kv_a_proj_with_mqa is [latent (kv_lora_rank); k_rope],
like linear_kv_down_proj. RoPE: megatron's MLA apply (`_apply_rotary_pos_emb_bshd` with
multi_latent_attention) takes the rope channels as interleaved pairs (x[0::2], x[1::2]) before
rotate-half, exactly as HF's `apply_rotary_pos_emb_interleave` (rope_interleave true, and
DeepSeek-V2's complex multiply). Only a rotate-half HF checkpoint (rope_interleave false) needs
its rope rows interleaved so that megatron's de-interleave restores them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from primus_tui.weights.layout import HFLayout
from primus_tui.weights.plan import Build, Shape, Split, TensorPlan, copy

_COPIES = {
    "self_attention.linear_q_down_proj.weight": "self_attn.q_a_proj.weight",
    "self_attention.q_layernorm.weight": "self_attn.q_a_layernorm.weight",
    "self_attention.kv_layernorm.weight": "self_attn.kv_a_layernorm.weight",
    "self_attention.linear_kv_up_proj.weight": "self_attn.kv_b_proj.weight",
    "self_attention.linear_proj.weight": "self_attn.o_proj.weight",
}
_ROPE_ROWS = {  # megatron tensor -> (HF tensor, rows are per head)
    "self_attention.linear_q_proj.weight": ("self_attn.q_proj.weight", True),
    "self_attention.linear_q_up_proj.weight": ("self_attn.q_b_proj.weight", True),
    "self_attention.linear_kv_down_proj.weight": ("self_attn.kv_a_proj_with_mqa.weight", False),
}


def rotate_half_to_interleaved(rope_dim: int) -> torch.Tensor:
    """Row order p with p[0::2] = first half, p[1::2] = second half (megatron de-interleaves it back)."""
    half = torch.arange(rope_dim // 2)
    return torch.stack([half, half + rope_dim // 2], dim=1).reshape(-1)


def permute_rope_rows(layout: HFLayout, per_head: bool) -> Build:
    """Reorder the trailing rope rows (of each head, or of the whole tensor) when HF uses rotate-half."""

    def build(tensors: Sequence[torch.Tensor], shape: Shape) -> torch.Tensor:
        t = tensors[0]
        if layout.rope_interleave:
            return t
        rope = layout.qk_rope_head_dim
        blocks = t.reshape(layout.num_heads if per_head else 1, -1, *t.shape[1:])
        order = rotate_half_to_interleaved(rope)
        nope, pe = blocks[:, :-rope], blocks[:, -rope:]
        return torch.cat([nope, pe[:, order]], dim=1).reshape(t.shape)

    return build


def unpermute_rope_rows(layout: HFLayout, per_head: bool) -> Split:
    """Undo `permute_rope_rows` (export to a rotate-half HF checkpoint)."""

    def split(tensor: torch.Tensor, shapes: Sequence[Shape]) -> list[torch.Tensor]:
        if layout.rope_interleave:
            return [tensor]
        rope = layout.qk_rope_head_dim
        blocks = tensor.reshape(layout.num_heads if per_head else 1, -1, *tensor.shape[1:])
        inverse = torch.argsort(rotate_half_to_interleaved(rope))
        nope, pe = blocks[:, :-rope], blocks[:, -rope:]
        return [torch.cat([nope, pe[:, inverse]], dim=1).reshape(tensor.shape)]

    return split


def layer_rule(layout: HFLayout, target: str, rest: str, hf: str) -> TensorPlan | None:
    if rest in _COPIES:
        return TensorPlan(target, (hf + _COPIES[rest],), copy)
    if rest in _ROPE_ROWS:
        name, per_head = _ROPE_ROWS[rest]
        how = "copy (rope rows already interleaved)" if layout.rope_interleave else "rope rows rotate-half -> interleaved"
        return TensorPlan(target, (hf + name,), permute_rope_rows(layout, per_head), how,
                          unpermute_rope_rows(layout, per_head))
    return None
