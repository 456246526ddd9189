"""Rules for the dense parts of a megatron-core local-spec layer: norms, fused QKV, qk-norm, SwiGLU MLP."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from primus_tui.weights.layout import HFLayout
from primus_tui.weights.plan import Build, Shape, Split, TensorPlan, cat_rows, copy

# megatron name inside decoder.layers.N. -> HF name inside model.layers.N.
_LAYER_COPIES = {
    "input_layernorm.weight": "input_layernorm.weight",
    "pre_mlp_layernorm.weight": "post_attention_layernorm.weight",
    "self_attention.linear_proj.weight": "self_attn.o_proj.weight",
    "self_attention.linear_proj.bias": "self_attn.o_proj.bias",
    "self_attention.q_layernorm.weight": "self_attn.q_norm.weight",
    "self_attention.k_layernorm.weight": "self_attn.k_norm.weight",
}


def fuse_qkv(layout: HFLayout) -> Build:
    """megatron's linear_qkv rows are grouped per query group: [q heads of group g; k_g; v_g] for each g."""

    def build(tensors: Sequence[torch.Tensor], shape: Shape) -> torch.Tensor:
        groups = layout.num_kv_heads
        q, k, v = (t.reshape(groups, -1, *t.shape[1:]) for t in tensors)
        return torch.cat([q, k, v], dim=1).reshape(-1, *q.shape[2:])

    return build


def unfuse_qkv(layout: HFLayout) -> Split:
    """Undo `fuse_qkv`: per query group, split [q; k; v] back into the HF q, k and v row blocks."""

    def split(tensor: torch.Tensor, shapes: Sequence[Shape]) -> list[torch.Tensor]:
        groups = layout.num_kv_heads
        blocks = tensor.reshape(groups, -1, *tensor.shape[1:])
        parts = torch.split(blocks, [s[0] // groups for s in shapes], dim=1)
        return [p.reshape(-1, *tensor.shape[1:]).contiguous() for p in parts]

    return split


def layer_rule(layout: HFLayout, target: str, rest: str, hf: str) -> TensorPlan | None:
    """Plan for `target` (= decoder.layers.N.<rest>) from HF names under `hf` (= model.layers.N.), or None."""
    if rest in _LAYER_COPIES:
        return TensorPlan(target, (hf + _LAYER_COPIES[rest],), copy)
    for kind in ("weight", "bias"):
        if rest == f"self_attention.linear_qkv.{kind}":
            names = tuple(f"{hf}self_attn.{p}_proj.{kind}" for p in "qkv")
            return TensorPlan(target, names, fuse_qkv(layout), "q/k/v fused per query group", unfuse_qkv(layout))
        if rest == f"mlp.linear_fc1.{kind}":
            return TensorPlan(target, (f"{hf}mlp.gate_proj.{kind}", f"{hf}mlp.up_proj.{kind}"), cat_rows, "[gate; up]")
        if rest == f"mlp.linear_fc2.{kind}":
            return TensorPlan(target, (f"{hf}mlp.down_proj.{kind}",), copy)
    return None
