"""Enumerate layouts, reject those Megatron would refuse (counted per rule), size and rank the rest.

Candidates: TP up to a node (divisors of gpus_per_node), PP / CP / EP over divisors of the world,
ETP in {1, TP} for MoE, vpp over divisors of L/PP (<= 8), micro-batch 1..8 (powers of 2), SP on/off,
recompute none/selective/full, distributed optimizer on/off, bf16/fp8. The first broken rule is
counted once per full layout it removes. A layout fits when its total is within HEADROOM of the
device memory (the rest: CUDA/HIP context, NCCL/RCCL buffers, allocator fragmentation).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from primus_tui.plan.cost import StepTime, step_time
from primus_tui.plan.gpus import GPU, gpu_kind
from primus_tui.plan.layout import RECOMPUTE, Batch, Cluster, Layout, layout_from_args
from primus_tui.plan.memory import Memory, memory, shard_params
from primus_tui.plan.rules import GRID, OPTIONS, RULES, SCHEDULE, Context, Rule, first_broken
from primus_tui.plan.shape import ModelShape, model_shape

HEADROOM = 0.90
MICRO_BATCHES = (1, 2, 4, 8)
MAX_VPP = 8


@dataclass(frozen=True)
class Plan:
    layout: Layout
    memory: Memory
    time: StepTime
    capacity: float
    tokens_per_s: float

    @property
    def fits(self) -> bool:
        return self.memory.total <= self.capacity * HEADROOM

    def to_dict(self) -> dict[str, Any]:
        return {"layout": self.layout.to_dict(), "overrides": self.layout.megatron(), "fits": self.fits,
                "memory_bytes": self.memory.to_dict(), "capacity_bytes": self.capacity,
                "step_time_s": self.time.to_dict(), "tokens_per_s": self.tokens_per_s}


@dataclass(frozen=True)
class Search:
    shape: ModelShape
    cluster: Cluster
    batch: Batch
    plans: tuple[Plan, ...]  # fitting ones first, fastest first
    rejected: Mapping[str, int] = field(default_factory=dict)  # rule id -> layouts removed
    too_big: int = 0
    considered: int = 0


def _divisors(n: int, limit: int | None = None) -> list[int]:
    return [d for d in range(1, (limit or n) + 1) if n % d == 0]


def evaluate(shape: ModelShape, layout: Layout, batch: Batch, cluster: Cluster) -> Plan:
    mem = memory(shape, layout, batch, cluster.world)
    dense, expert = shard_params(shape, layout)
    time = step_time(shape, layout, batch, cluster, dense, expert)
    tokens = batch.seq_length * batch.global_batch_size / time.total
    return Plan(layout, mem, time, cluster.gpu.memory_bytes, tokens)


def search(shape: ModelShape, cluster: Cluster, batch: Batch, precisions: tuple[str, ...] = ("bf16",)) -> Search:
    """Every layout of `cluster`, the experiment's precision only unless asked (fp8 changes numerics)."""
    ctx = Context(shape, cluster.world, batch, cluster.gpu)
    world, rejected, plans = cluster.world, Counter(), []
    moe = shape.num_experts is not None
    options = [(sp, rc, do, pr) for sp in (False, True) for rc in RECOMPUTE for do in (True, False)
               for pr in precisions]
    per_schedule = len(options)
    considered = too_big = 0
    for tp in _divisors(cluster.gpus_per_node):
        for pp in _divisors(world):
            vpps = [v for v in range(1, MAX_VPP + 1)] if pp > 1 else [1]
            per_grid = len(vpps) * len(MICRO_BATCHES) * per_schedule
            for cp in _divisors(world):
                for ep in _divisors(world) if moe else [1]:
                    for etp in sorted({1, tp}) if moe else [tp]:
                        dp = max(1, world // (tp * pp * cp))
                        grid = Layout(tp=tp, pp=pp, cp=cp, ep=ep, etp=etp, dp=dp)
                        considered += per_grid
                        broken = first_broken(grid, ctx, GRID)
                        if broken:
                            rejected[broken.id] += per_grid
                            continue
                        for vpp in vpps:
                            for mbs in MICRO_BATCHES:
                                sched = replace(grid, vpp=vpp, mbs=mbs)
                                broken = first_broken(sched, ctx, SCHEDULE)
                                if broken:
                                    rejected[broken.id] += per_schedule
                                    continue
                                for sp, rc, do, pr in options:
                                    layout = replace(sched, sp=sp, recompute=rc, distopt=do, precision=pr)
                                    broken = first_broken(layout, ctx, OPTIONS)
                                    if broken:
                                        rejected[broken.id] += 1
                                        continue
                                    plan = evaluate(shape, layout, batch, cluster)
                                    too_big += not plan.fits
                                    plans.append(plan)
    plans.sort(key=lambda p: (not p.fits, -p.tokens_per_s, p.memory.total))
    return Search(shape, cluster, batch, tuple(plans), dict(rejected), too_big, considered)


def check_layout(shape: ModelShape, layout: Layout, cluster: Cluster, batch: Batch) -> list[Rule]:
    """Every rule one given layout breaks (empty: Megatron accepts it)."""
    ctx = Context(shape, cluster.world, batch, cluster.gpu)
    return [rule for rule in RULES if not rule.ok(layout, ctx)]


CHANGE_ORDER = ("recompute", "distopt", "mbs", "sp", "precision", "vpp", "pp", "tp", "cp", "ep", "etp")


def _changed(a: Layout, b: Layout) -> list[str]:
    return [name for name in CHANGE_ORDER if getattr(a, name) != getattr(b, name)]


def fits_this_machine(values: Mapping[str, Any], nodes: int = 1, gpus_per_node: int | None = None,
                      gpu: str | GPU = "cpu", seq_length: int | None = None, global_batch_size: int | None = None,
                      vocab_size: int | None = None) -> tuple[bool, str, dict[str, Any] | None]:
    """Will the experiment's own layout fit? (fits, one-line message, smallest change of overrides or None).

    `values` are merged args after trainer.arch megatron_args + _validate_args. The smallest change is
    the fitting, rule-abiding layout that differs from the asked one in the fewest knobs (cheapest
    knobs first: recompute, optimizer, micro-batch, ...), fastest among equals.
    """
    kind = gpu if isinstance(gpu, GPU) else gpu_kind(gpu)
    cluster = Cluster(nodes, gpus_per_node or (1 if kind.name == "cpu" else 8), kind)
    batch = Batch(int(seq_length or values.get("seq_length") or 0), int(global_batch_size
                                                                         or values.get("global_batch_size") or 0))
    shape = model_shape(values, vocab_size)
    asked = layout_from_args(dict(values), cluster.world)
    broken = check_layout(shape, asked, cluster, batch)
    if not broken:
        plan = evaluate(shape, asked, batch, cluster)
        if plan.fits:
            return True, (f"fits: {plan.memory.total / 2**30:.1f} of {plan.capacity / 2**30:.0f} GiB per "
                          f"{kind.name} ({asked.short()})"), None
        why = f"needs {plan.memory.total / 2**30:.1f} GiB per {kind.name}, {HEADROOM:.0%} of {plan.capacity / 2**30:.0f} GiB usable"
    else:
        why = broken[0].message(asked)
    best = None
    for candidate in search(shape, cluster, batch, (asked.precision,)).plans:
        if not candidate.fits:
            break
        key = (len(_changed(asked, candidate.layout)), -candidate.tokens_per_s)
        if best is None or key < best[0]:
            best = (key, candidate)
    if best is None:
        return False, f"does not fit: {why}; no layout of {cluster.world} x {kind.name} fits", None
    change = {k: v for k, v in best[1].layout.megatron().items() if asked.megatron().get(k) != v
              and (shape.num_experts or not k.startswith("expert_"))}
    shown = ", ".join(f"{k}={v}" for k, v in change.items())
    return False, f"does not fit: {why}; smallest change: {shown}", change


def plan_from_values(values: Mapping[str, Any], cluster: Cluster, seq_length: int | None = None,
                     global_batch_size: int | None = None, vocab_size: int | None = None,
                     precisions: tuple[str, ...] | None = None) -> Search:
    batch = Batch(int(values.get("seq_length") or 0) if seq_length is None else seq_length,
                  int(values.get("global_batch_size") or 0) if global_batch_size is None else global_batch_size)
    precisions = precisions or (("fp8",) if values.get("fp8") else ("bf16",))
    return search(model_shape(values, vocab_size), cluster, batch, precisions)
