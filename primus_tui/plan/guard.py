"""Before any launch: will this experiment fit in this machine's memory? (no torch, no textual)

Launching the seed's TinyLlama experiment on a 23 GB laptop ran the trainer to 21 GB in 100 s
without one iteration. The guard sizes the experiment with the planner's memory model
(`plan.memory`, Megatron's own formulas) for the machine it is about to run on and says, with
numbers, when it will not fit, and the smallest change that does (fewest knobs: recompute,
optimizer, micro-batch, ...; then a shorter `seq_length`).

- CPU: every rank on this node shares the RAM, so the need is per-rank memory x ranks, against
  the memory available now (psutil), plus `RANK_OVERHEAD_GIB` per process (torch + megatron-core).
- GPU (`gpu=mi300x`, ...): per-GPU memory against that kind's HBM, as the planner does.
Callers decide what to do with the verdict: the TUI asks, headless and `primus-cli` refuse unless told.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from primus_tui.errors import one_line
from primus_tui.megatron.registry import load_registry
from primus_tui.plan.errors import PlanError
from primus_tui.plan.gpus import GIB, GPU, cpu, gpu_kind
from primus_tui.plan.layout import Batch, Cluster, Layout, layout_from_args
from primus_tui.plan.search import HEADROOM, evaluate, fits_this_machine
from primus_tui.plan.shape import TOKENIZER_VOCAB, model_shape
from primus_tui.trainer.arch import _validate_args, megatron_args
from primus_tui.trainer.errors import UnsupportedConfig
from primus_tui.trainer.tokenizer import resolve_tokenizer

RANK_OVERHEAD_GIB = 1.0  # resident torch + megatron-core + gloo per CPU rank before the model exists
SEQ_FLOOR = 128
LOWER_BOUND_VOCAB = 32_000  # tokenizer not in the HF cache: size it as the smallest common vocabulary
ALLOW_ENV = "PRIMUS_CLI_ALLOW_OVER_MEMORY"  # primus-cli: launch although the guard says it will not fit
GPU_ENV = "PRIMUS_TUI_GPU"  # the GPU kind of this machine (mi300x, h100, ...); unset: CPU unless GPUs seen


@dataclass(frozen=True)
class Verdict:
    """The guard's answer; `message` is one line with the numbers, `change` the overrides that fit."""

    fits: bool
    need_bytes: float
    available_bytes: float
    device: str  # "CPU" or the GPU kind's name
    ranks: int
    message: str
    change: dict[str, Any] | None = None
    checked: bool = True  # False: the experiment could not be sized (message says why); never blocks

    @property
    def blocks(self) -> bool:
        return self.checked and not self.fits

    def overrides(self) -> list[str]:
        """`change` as Primus CLI override tokens (`key=value`)."""
        return [f"{k}={_token(v)}" for k, v in (self.change or {}).items()]


def _token(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "null" if value is None else str(value)


def available_memory() -> float:
    """Bytes this machine can still give a new job (psutil's `available`; sysconf total as a fallback)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a dependency
        return cpu().memory_bytes
    return float(psutil.virtual_memory().available)


def _gib(value: float) -> str:
    return f"{value / GIB:.1f} GiB"


def unchecked(reason: str) -> Verdict:
    return Verdict(True, 0.0, 0.0, "?", 0, f"memory not checked: {reason}", None, checked=False)


def check(values: Mapping[str, Any], *, ranks: int = 1, gpu: str | None = None,
          available: float | None = None) -> Verdict:
    """Verdict for merged Megatron args (after trainer.arch `megatron_args` + `_validate_args`).

    `ranks`: processes torchrun starts on this node (1 with --single). `gpu`: the GPU kind
    (None or "cpu": this machine's RAM). `available`: bytes free now (default: psutil).
    """
    try:
        if gpu and gpu.lower() != "cpu":
            return _check_gpu(values, ranks, gpu_kind(gpu))
        return _check_cpu(values, ranks, available_memory() if available is None else available)
    except PlanError as exc:
        return unchecked(str(exc))


def _check_gpu(values: Mapping[str, Any], ranks: int, kind: GPU) -> Verdict:
    ok, message, change = fits_this_machine(values, nodes=1, gpus_per_node=ranks, gpu=kind)
    need = _need_per_rank(values, ranks, kind)
    return Verdict(ok, need, kind.memory_bytes, kind.name, ranks, f"{kind.name}: {message}", change)


def _need_per_rank(values: Mapping[str, Any], ranks: int, kind: GPU) -> float:
    cluster = Cluster(1, max(1, ranks), kind)
    batch = Batch(int(values.get("seq_length") or 0), int(values.get("global_batch_size") or 0))
    return evaluate(model_shape(values), _asked_layout(values, cluster.world), batch, cluster).memory.total


def _asked_layout(values: Mapping[str, Any], world: int) -> Layout:
    """The experiment's layout; one that needs more ranks than start here is sized unsharded
    (an 8-way expert split on one CPU rank would hide 7/8 of the experts)."""
    layout = layout_from_args(dict(values), world)
    if layout.tp * layout.pp * layout.cp > world or layout.ep * layout.etp > world:
        layout = replace(layout, tp=1, pp=1, vpp=1, cp=1, ep=1, etp=1, dp=world, sp=False)
    return layout


def _check_cpu(values: Mapping[str, Any], ranks: int, available: float) -> Verdict:
    ranks = max(1, ranks)
    overhead = RANK_OVERHEAD_GIB * GIB * ranks
    # One "device" per rank: its share of the usable RAM once every process exists. The planner
    # keeps HEADROOM of a device free, so the device is sized to make "fits" mean exactly
    # need x ranks + overhead <= HEADROOM x available (the test below).
    usable = max(0.0, available * HEADROOM - overhead) / ranks
    device = GPU("CPU", usable / GIB / HEADROOM, 1.0, None, 20, 5)
    need = _need_per_rank(values, ranks, device) * ranks + overhead
    where = f"{ranks} rank{'s' * (ranks != 1)}" if ranks > 1 else "1 rank"
    head = f"CPU: needs ~{_gib(need)} ({where}), {_gib(available)} available"
    if need <= available * HEADROOM:
        return Verdict(True, need, available, "CPU", ranks, f"{head}: fits")
    ok, _message, change = fits_this_machine(values, nodes=1, gpus_per_node=ranks, gpu=device)
    if ok or change is None:
        change = _shorter_sequence(values, ranks, device)
    if change is None:
        floor = _weights_only(values, ranks, device) * ranks + overhead
        return Verdict(False, need, available, "CPU", ranks,
                       f"{head}; weights, grads and optimizer alone need ~{_gib(floor)}: no layout or "
                       f"sequence length fits this machine")
    shown = " ".join(f"{k}={_token(v)}" for k, v in change.items())
    return Verdict(False, need, available, "CPU", ranks, f"{head}; smallest change that fits: {shown}", change)


def _weights_only(values: Mapping[str, Any], ranks: int, device: GPU) -> float:
    cluster = Cluster(1, ranks, device)
    batch = Batch(int(values.get("seq_length") or 1), int(values.get("global_batch_size") or 1))
    return evaluate(model_shape(values), _asked_layout(values, ranks), batch, cluster).memory.weights_and_optimizer


def _shorter_sequence(values: Mapping[str, Any], ranks: int, device: GPU) -> dict[str, Any] | None:
    """The longest seq_length (halving, >= SEQ_FLOOR) that fits, micro_batch_size 1 and full recompute."""
    seq = int(values.get("seq_length") or 0)
    cheap = {**values, "micro_batch_size": 1, "recompute_granularity": "full"}
    changed = {k: v for k, v in cheap.items() if values.get(k) != v}
    while seq // 2 >= SEQ_FLOOR:
        seq //= 2
        trial = {**cheap, "seq_length": seq}
        if _need_per_rank(trial, ranks, device) <= device.memory_bytes * HEADROOM:
            return {**changed, "seq_length": seq}
    return None


def verdict_for_experiment(values: Mapping[str, Any], *, ranks: int = 1, gpu: str | None = None,
                           available: float | None = None, registry: Any = None) -> Verdict:
    """Merged experiment values (`module.values`) -> Megatron args -> `check` (never raises).

    The vocabulary comes from the config or the tokenizer in the HF cache (as the trainer sizes
    it); when neither knows it, `LOWER_BOUND_VOCAB` makes the estimate a lower bound ("at least").
    """
    try:
        args = megatron_args(values, registry or load_registry())
        _validate_args(args)
    except (UnsupportedConfig, PlanError, KeyError, TypeError, ValueError) as exc:
        return unchecked(one_line(exc))
    bound = False
    if not args.get("vocab_size") and str(args.get("tokenizer_type")) not in TOKENIZER_VOCAB:
        try:
            info, _warning = resolve_tokenizer(args, mock_data=True)
            args["vocab_size"] = info.vocab_size
        except (UnsupportedConfig, OSError, ValueError):
            args["vocab_size"], bound = LOWER_BOUND_VOCAB, True
    verdict = check(args, ranks=ranks, gpu=gpu, available=available)
    if bound and verdict.checked:
        verdict = replace(verdict, message=verdict.message.replace("needs ~", "needs at least ~")
                          + f" (vocabulary unknown offline: sized as {LOWER_BOUND_VOCAB:,})")
    return verdict


def with_change(values: Mapping[str, Any], verdict: Verdict) -> dict[str, Any]:
    """`values` with the verdict's smallest change applied (what the change means, for tests)."""
    return {**values, **(verdict.change or {})}


__all__ = ["ALLOW_ENV", "GPU_ENV", "Verdict", "available_memory", "check", "unchecked", "verdict_for_experiment",
           "with_change"]
