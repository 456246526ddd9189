"""Per-GPU memory of the most loaded rank (the first pipeline stage), in bytes.

Weights and optimizer follow Megatron-LM's `theoretical_memory_usage.py`: bf16 weights (2 B),
fp32 main grads (4 B), Adam fp32 master + 2 moments (12 B), the 12 B sharded over the
data-parallel group with the distributed optimizer (18 or 6 + 12/DP bytes per parameter). Unlike
that function, routed experts shard over ETP x EP and their optimizer over expert-DP.

Activations follow Korthikanti et al. (arXiv 2205.05198, Table 2) per layer with s = seq/CP:
  none      s*b*h*(18 + 4*f/h + 5*a*s/h) / TP with SP;  s*b*h*(10 + 24/TP + 5*a*s/(h*TP)) without;
            the 5*a*s/h term (softmax scores, dropout mask and output) only where the core attention
            stores them (`ModelShape.unfused_attention`): flash / fused attention, Primus's and
            Megatron's default, keeps none, so there "none" needs what "selective" needs
  selective s*b*h*(18 + 4*f/h) / TP with SP (Megatron's generalisation of 34 to MLP width f);
            s*b*h*(10 + 24/TP) without SP
  full      2*s*b*h (the layer input, /TP with SP) per layer, plus one layer recomputed in full
The first stage holds L/PP layers for min(PP, m) micro-batches (interleaved: PP*(1 + (PP-1)/
(PP*vpp))), plus the embedding input/dropout terms and, at PP 1, the output layer + loss, as
Megatron's function counts them; without SP it also adds 5% for temporaries, as Megatron does.
"""

from __future__ import annotations

from dataclasses import dataclass

from primus_tui.plan.layout import Batch, Layout
from primus_tui.plan.shape import ModelShape

WEIGHT_BYTES = 2
GRAD_BYTES = 4
OPTIMIZER_BYTES = 12
NO_SP_OVERHEAD = 1.05  # compute_activation_memory_without_sp's allowance for temporaries


@dataclass(frozen=True)
class Memory:
    weights: float
    grads: float
    optimizer: float
    activations: float

    @property
    def weights_and_optimizer(self) -> float:
        return self.weights + self.grads + self.optimizer

    @property
    def total(self) -> float:
        return self.weights_and_optimizer + self.activations

    def to_dict(self) -> dict[str, float]:
        return {"weights": self.weights, "grads": self.grads, "optimizer": self.optimizer,
                "activations": self.activations, "total": self.total}


def shard_params(shape: ModelShape, layout: Layout) -> tuple[float, float]:
    """(non-expert, expert) parameters on the first pipeline stage of one rank."""
    embedding = shape.embedding(layout.tp)
    dense = shape.non_expert_block() / layout.pp + embedding
    if shape.untied and layout.pp == 1:
        dense += embedding
    return dense / layout.tp, shape.expert_block() / layout.pp / (layout.ep * layout.etp)


def weight_memory(shape: ModelShape, layout: Layout, world: int) -> tuple[float, float, float]:
    dense, expert = shard_params(shape, layout)
    params = dense + expert
    if layout.distopt:
        expert_dp = max(1, world // (layout.etp * layout.ep * layout.pp))
        optimizer = OPTIMIZER_BYTES * (dense / (layout.dp * layout.cp) + expert / expert_dp)
    else:
        optimizer = OPTIMIZER_BYTES * params
    return WEIGHT_BYTES * params, GRAD_BYTES * params, optimizer


def layer_activation(shape: ModelShape, layout: Layout, seq: int) -> float:
    """Bytes one transformer layer keeps for one micro-batch (see the module docstring)."""
    s, b, h, t = seq / layout.cp, layout.mbs, shape.hidden, layout.tp
    sbh = s * b * h
    if layout.recompute == "full":
        return 2 * sbh / (t if layout.sp else 1)
    scores = 5 * shape.heads * s / h if layout.recompute == "none" and shape.unfused_attention else 0
    return sbh * (18 + 4 * shape.mlp_width() / h + scores) / t if layout.sp else sbh * (10 + (24 + scores) / t)


def activation_memory(shape: ModelShape, layout: Layout, batch: Batch) -> float:
    s, b, h, pp = batch.seq_length / layout.cp, layout.mbs, shape.hidden, layout.pp
    divisor = layout.tp if layout.sp else 1
    per_layer = layer_activation(shape, layout, batch.seq_length) * divisor  # undivided, as Megatron sums
    total = per_layer * shape.num_layers  # L/PP layers x PP micro-batches in flight
    total += 8 * s * b * pp + s * b * h * pp  # embedding input + dropout, PP micro-batches
    m = layout.microbatches(batch)
    if layout.vpp > 1:
        total *= 1 + (pp - 1) / (pp * layout.vpp)
    elif pp > 1:
        total *= min(1.0, m / pp)
    if pp == 1:
        vocab = shape.padded_vocab(layout.tp)
        if layout.sp:
            total += s * b * h * 4 * (1 + vocab / h)
        else:
            total += (s * b * vocab / layout.tp + s * b * h) * 2
    if layout.recompute == "full":  # one layer's working set while it is recomputed
        full = Layout(**{**layout.to_dict(), "recompute": "none"})
        total += layer_activation(shape, full, batch.seq_length) * divisor
    return total / divisor if layout.sp else total * NO_SP_OVERHEAD


def memory(shape: ModelShape, layout: Layout, batch: Batch, world: int) -> Memory:
    weights, grads, optimizer = weight_memory(shape, layout, world)
    return Memory(weights, grads, optimizer, activation_memory(shape, layout, batch))
