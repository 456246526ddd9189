"""A deliberately simple step-time model, for ranking layouts (not for predicting runs).

compute   = (6*N_active*tokens + 6*L*s*a*d*tokens [causal attention]) * recompute factor
            / (world * peak(precision) * MFU), MFU = 0.4; recompute: full adds a forward (x4/3),
            selective re-runs the attention core (+1/3 of its FLOPs)
bubble    = compute * (PP-1) / (m * vpp)
TP        = per layer and micro-batch 4 all-reduces (2 fwd + 2 bwd; all-gather + reduce-scatter with
            SP, same bytes) of s*b*h*2 B, ring cost 2*(TP-1)/TP * bytes / bandwidth, not overlapped
CP        = K and V (2*s*b*g*d*2 B) passed CP-1 times forward and twice that backward, not overlapped
EP        = 4 all-to-alls (dispatch + combine, fwd + bwd) of s*b*topk*h*2 B * (EP-1)/EP per MoE layer
PP        = p2p of s*b*h*2 B per micro-batch per virtual stage boundary, fwd + bwd
DP        = gradient reduce-scatter (fp32) + parameter all-gather (bf16, distributed optimizer) or an
            fp32 all-reduce, overlapped with backward: only the part longer than backward shows
A group uses the intra-node bandwidth when it fits in a node (Megatron's rank order tp-cp-ep-dp-pp
puts TP innermost), the inter-node one otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from primus_tui.plan.gpus import GPU
from primus_tui.plan.layout import Batch, Cluster, Layout
from primus_tui.plan.shape import ModelShape

MFU = 0.4
GB = 1e9


@dataclass(frozen=True)
class StepTime:
    compute: float
    bubble: float
    tp: float
    cp: float
    ep: float
    pp: float
    dp: float

    @property
    def total(self) -> float:
        return self.compute + self.bubble + self.tp + self.cp + self.ep + self.pp + self.dp

    def to_dict(self) -> dict[str, float]:
        return {"compute": self.compute, "bubble": self.bubble, "tp": self.tp, "cp": self.cp, "ep": self.ep,
                "pp": self.pp, "dp": self.dp, "total": self.total}


def _bandwidth(gpu: GPU, span: int, gpus_per_node: int) -> float:
    return (gpu.intra_gbps if span <= gpus_per_node else gpu.inter_gbps) * GB


def _ring(size: int, nbytes: float, bandwidth: float) -> float:
    return 0.0 if size <= 1 else 2 * (size - 1) / size * nbytes / bandwidth


def step_time(shape: ModelShape, layout: Layout, batch: Batch, cluster: Cluster, dense_params: float,
              expert_params: float) -> StepTime:
    gpu, gpn = cluster.gpu, cluster.gpus_per_node
    seq, tokens = batch.seq_length, batch.seq_length * batch.global_batch_size
    m = layout.microbatches(batch)
    attn_flops = 6 * shape.num_layers * seq * shape.heads * shape.kv_channels * tokens
    gemm_flops = 6 * shape.active_params() * tokens
    if layout.recompute == "full":
        gemm_flops, attn_flops = gemm_flops * 4 / 3, attn_flops * 4 / 3
    elif layout.recompute == "selective":
        attn_flops *= 4 / 3
    compute = (gemm_flops + attn_flops) / (cluster.world * gpu.peak_flops(layout.precision) * MFU)
    bubble = compute * (layout.pp - 1) / (m * layout.vpp)

    s_local = seq / layout.cp
    act = s_local * layout.mbs * shape.hidden * 2
    layers = shape.num_layers / layout.pp
    passes = 6 if layout.recompute == "full" else 4  # the recomputed forward repeats its 2 collectives
    tp = layers * m * passes * _ring(layout.tp, act, _bandwidth(gpu, layout.tp, gpn))
    kv = 2 * s_local * layout.mbs * shape.query_groups * shape.kv_channels * 2
    cp_bw = _bandwidth(gpu, layout.tp * layout.cp, gpn)
    cp = 0.0 if layout.cp == 1 else layers * m * 3 * (layout.cp - 1) * kv / cp_bw
    ep = 0.0
    if shape.moe_layers and layout.ep > 1:
        moe_layers = shape.moe_layers / layout.pp
        a2a = act * shape.topk * (layout.ep - 1) / layout.ep
        ep = moe_layers * m * 4 * a2a / _bandwidth(gpu, layout.etp * layout.ep, gpn)
    pp = 0.0
    if layout.pp > 1:
        pp = m * layout.vpp * 2 * act / layout.tp / _bandwidth(gpu, gpn + 1 if layout.tp * layout.cp * layout.dp
                                                                >= gpn else 1, gpn)
    dp_size = layout.dp * layout.cp
    grad_bytes = dense_params * (4 + 2 if layout.distopt else 4)
    dp_time = _ring(dp_size, grad_bytes, _bandwidth(gpu, layout.tp * dp_size, gpn))
    if expert_params:
        expert_dp = max(1, cluster.world // (layout.etp * layout.ep * layout.pp))
        dp_time += _ring(expert_dp, expert_params * 6, _bandwidth(gpu, layout.etp * layout.ep * expert_dp, gpn))
    backward = compute * 2 / 3
    return StepTime(compute, bubble, tp, cp, ep, pp, max(0.0, dp_time - backward))
