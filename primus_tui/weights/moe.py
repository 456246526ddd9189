"""Rules for megatron-core MoE layers (router, sequential local experts, shared experts).

HF checkpoints name experts three ways: Mixtral's `block_sparse_moe.experts.E.w1/w3/w2`, the
Qwen/DeepSeek `mlp.experts.E.gate_proj/up_proj/down_proj`, and transformers 5's in-memory fused
`mlp.experts.gate_up_proj` [E, 2*ffn, hidden] / `mlp.experts.down_proj` [E, hidden, ffn].
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from primus_tui.weights.plan import Build, Shape, TensorPlan, cat_rows, copy

_EXPERT = re.compile(r"^mlp\.experts\.local_experts\.(\d+)\.(linear_fc1|linear_fc2)\.weight$")
# Mixtral's legacy names: w1 = gate, w3 = up, w2 = down
_MIXTRAL = {"gate": "w1", "up": "w3", "down": "w2"}
_SHARED = {  # megatron shared_experts.<rest> -> HF names under the shared expert's prefix
    "linear_fc1.weight": ("gate_proj.weight", "up_proj.weight"),
    "linear_fc2.weight": ("down_proj.weight",),
}


@dataclass(frozen=True)
class MoENames:
    """Where one HF layer keeps its MoE tensors (found from the names present)."""

    block: str  # "model.layers.N.mlp." or "model.layers.N.block_sparse_moe."
    mixtral: bool
    fused: bool
    shared: str | None  # "model.layers.N.mlp.shared_expert." (Qwen2-MoE) / ".shared_experts." (DeepSeek)

    @classmethod
    def find(cls, hf: str, names: frozenset[str]) -> MoENames:
        mixtral = f"{hf}block_sparse_moe.gate.weight" in names
        block = f"{hf}block_sparse_moe." if mixtral else f"{hf}mlp."
        shared = next((f"{block}{s}." for s in ("shared_expert", "shared_experts")
                       if f"{block}{s}.down_proj.weight" in names), None)
        return cls(block, mixtral, f"{block}experts.down_proj" in names, shared)

    def expert(self, e: int, part: str) -> str:
        name = _MIXTRAL[part] if self.mixtral else f"{part}_proj"
        return f"{self.block}experts.{e}.{name}.weight"


def _slice(e: int) -> Build:
    def build(tensors: Sequence[torch.Tensor], shape: Shape) -> torch.Tensor:
        return tensors[0][e]
    return build


def layer_rule(target: str, rest: str, hf: str, names: frozenset[str]) -> TensorPlan | None:
    if not rest.startswith("mlp.") or rest.startswith("mlp.linear_fc"):  # dense MLP: dense.py
        return None
    moe = MoENames.find(hf, names)
    if rest == "mlp.router.weight":
        return TensorPlan(target, (f"{moe.block}gate.weight",), copy)
    if rest == "mlp.router.expert_bias":
        return TensorPlan(target, (f"{moe.block}gate.e_score_correction_bias",), copy, "DeepSeek-V3 score correction")
    if match := _EXPERT.match(rest):
        e, fc = int(match[1]), match[2]
        if moe.fused:
            fused = f"{moe.block}experts.{'gate_up_proj' if fc == 'linear_fc1' else 'down_proj'}"
            return TensorPlan(target, (fused,), _slice(e), f"expert {e} of the fused tensor")
        if fc == "linear_fc1":
            return TensorPlan(target, (moe.expert(e, "gate"), moe.expert(e, "up")), cat_rows, "[gate; up]")
        return TensorPlan(target, (moe.expert(e, "down"),), copy)
    if rest == "mlp.shared_experts.gate_weight":
        return TensorPlan(target, (f"{moe.block}shared_expert_gate.weight",), copy, "sigmoid shared-expert gate")
    if rest.startswith("mlp.shared_experts.") and moe.shared:
        sources = _SHARED.get(rest.removeprefix("mlp.shared_experts."))
        if sources:
            return TensorPlan(target, tuple(moe.shared + s for s in sources), cat_rows, "shared expert")
    return None
