"""Text and JSON views of a Search: the best few layouts with a memory bar, and the rejections."""

from __future__ import annotations

import json

from primus_tui.plan.rules import RULES_BY_ID
from primus_tui.plan.search import HEADROOM, Search

BAR = 20
GIB = 2**30


def bar(used: float, capacity: float) -> str:
    filled = min(BAR, round(BAR * used / capacity)) if capacity else BAR
    return "[" + "#" * filled + "." * (BAR - filled) + "]"


def render_text(result: Search, top: int) -> str:
    c, b = result.cluster, result.batch
    lines = [f"{c.nodes} x {c.gpus_per_node} {c.gpu.name} ({c.gpu.memory_gib:.0f} GiB, {HEADROOM:.0%} usable), "
             f"{result.shape.total_params() / 1e9:.2f}B params, seq {b.seq_length}, global batch "
             f"{b.global_batch_size}"]
    fitting = [p for p in result.plans if p.fits][:top]
    if not fitting:
        lines.append("no layout fits")
    for rank, plan in enumerate(fitting, 1):
        m = plan.memory
        lines.append(f"{rank}. {plan.layout.short()}")
        lines.append(f"   {bar(m.total, plan.capacity)} {m.total / GIB:6.1f} GiB (weights {m.weights / GIB:.1f}, grads "
                     f"{m.grads / GIB:.1f}, optimizer {m.optimizer / GIB:.1f}, activations {m.activations / GIB:.1f})"
                     f"  {plan.tokens_per_s:,.0f} tokens/s  step {plan.time.total:.2f} s")
    lines.append(f"{result.considered} layouts: {sum(1 for p in result.plans if p.fits)} fit, {result.too_big} too "
                 f"big, {sum(result.rejected.values())} rejected by Megatron's rules")
    for rule_id, count in sorted(result.rejected.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {count:6d} {rule_id}: {RULES_BY_ID[rule_id].quote}")
    return "\n".join(lines) + "\n"


def render_json(result: Search, top: int) -> str:
    c = result.cluster
    data = {
        "cluster": {"nodes": c.nodes, "gpus_per_node": c.gpus_per_node, "gpu": c.gpu.name,
                    "memory_gib": c.gpu.memory_gib},
        "batch": {"seq_length": result.batch.seq_length, "global_batch_size": result.batch.global_batch_size},
        "params": result.shape.total_params(),
        "considered": result.considered,
        "too_big": result.too_big,
        "rejected": [{"rule": k, "count": v, "source": RULES_BY_ID[k].source, "quote": RULES_BY_ID[k].quote}
                     for k, v in sorted(result.rejected.items())],
        "plans": [p.to_dict() for p in result.plans if p.fits][:top],
    }
    return json.dumps(data, indent=2) + "\n"
