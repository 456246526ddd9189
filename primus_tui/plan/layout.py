"""A cluster, the batch to train, and one parallel layout of it (all frozen, all plain data)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from primus_tui.plan.errors import PlanError
from primus_tui.plan.gpus import GPU

RECOMPUTE = ("none", "selective", "full")
PRECISIONS = ("bf16", "fp8")


@dataclass(frozen=True)
class Cluster:
    nodes: int
    gpus_per_node: int
    gpu: GPU

    def __post_init__(self) -> None:
        for name in ("nodes", "gpus_per_node"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise PlanError(f"--{name.replace('_', '-')}: expected an integer >= 1, got {value!r}")

    @property
    def world(self) -> int:
        return self.nodes * self.gpus_per_node


@dataclass(frozen=True)
class Batch:
    seq_length: int
    global_batch_size: int

    def __post_init__(self) -> None:
        for name in ("seq_length", "global_batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise PlanError(f"--{name.replace('_', '-')}: expected an integer >= 1, got {value!r}")


@dataclass(frozen=True)
class Layout:
    """One choice of every knob; `dp` is derived (world // (tp*pp*cp)), as validate_args does."""

    tp: int = 1
    pp: int = 1
    vpp: int = 1  # virtual stages per pipeline rank; 1 = not interleaved
    cp: int = 1
    ep: int = 1
    etp: int = 1
    dp: int = 1
    mbs: int = 1
    sp: bool = False
    recompute: str = "none"
    distopt: bool = True
    precision: str = "bf16"

    def microbatches(self, batch: Batch) -> int:
        return max(1, batch.global_batch_size // (self.mbs * self.dp))

    def to_dict(self) -> dict:
        return asdict(self)

    def megatron(self) -> dict:
        """The experiment overrides that select this layout."""
        return {
            "tensor_model_parallel_size": self.tp,
            "pipeline_model_parallel_size": self.pp,
            "num_virtual_stages_per_pipeline_rank": self.vpp if self.vpp > 1 else None,
            "context_parallel_size": self.cp,
            "expert_model_parallel_size": self.ep,
            "expert_tensor_parallel_size": self.etp,
            "micro_batch_size": self.mbs,
            "sequence_parallel": self.sp,
            "recompute_granularity": None if self.recompute == "none" else self.recompute,
            "recompute_method": "uniform" if self.recompute == "full" else None,
            "recompute_num_layers": 1 if self.recompute == "full" else None,
            "use_distributed_optimizer": self.distopt,
            "fp8": "hybrid" if self.precision == "fp8" else None,
        }

    def short(self) -> str:
        parts = [f"TP{self.tp}", f"PP{self.pp}" + (f"xV{self.vpp}" if self.vpp > 1 else ""), f"CP{self.cp}"]
        if self.ep > 1 or self.etp != self.tp:
            parts.append(f"EP{self.ep}/ETP{self.etp}")
        parts += [f"DP{self.dp}", f"MBS{self.mbs}", "SP" if self.sp else "noSP", f"rc:{self.recompute}",
                  "distopt" if self.distopt else "no-distopt", self.precision]
        return " ".join(parts)


def layout_from_args(args: dict, world: int) -> Layout:
    """The layout an experiment already asks for (Megatron arg names), for fits_this_machine."""
    tp = int(args.get("tensor_model_parallel_size") or 1)
    pp = int(args.get("pipeline_model_parallel_size") or 1)
    cp = int(args.get("context_parallel_size") or 1)
    vpp = int(args.get("num_virtual_stages_per_pipeline_rank") or args.get("virtual_pipeline_model_parallel_size")
              or 1)
    per_virtual = args.get("num_layers_per_virtual_pipeline_stage")
    if per_virtual and pp and args.get("num_layers"):
        vpp = max(1, int(args["num_layers"]) // pp // int(per_virtual))
    recompute = args.get("recompute_granularity") or "none"
    return Layout(
        tp=tp, pp=pp, vpp=vpp, cp=cp,
        ep=int(args.get("expert_model_parallel_size") or 1),
        etp=int(args.get("expert_tensor_parallel_size") or tp),
        dp=max(1, world // max(1, tp * pp * cp)),
        mbs=int(args.get("micro_batch_size") or 1),
        sp=bool(args.get("sequence_parallel")) and tp > 1,  # validate_args turns SP off at TP 1
        recompute=recompute if recompute in RECOMPUTE else "none",
        distopt=bool(args.get("use_distributed_optimizer")),
        precision="fp8" if args.get("fp8") else "bf16",
    )
