"""Fault injection for tests of the failure paths (off unless PRIMUS_TUI_FAULT is set).

PRIMUS_TUI_FAULT is a comma-separated list of:
  nan@N            the loss of iteration N becomes NaN on every rank (the trainer must stop, exit 3)
  crash@N          rank R (default: the last rank) kills itself with SIGKILL at iteration N,
  crash@N:R        like a segfault or an OOM kill: no Python cleanup, no status file
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

ENV = "PRIMUS_TUI_FAULT"


@dataclass(frozen=True)
class Fault:
    kind: str
    iteration: int
    rank: int | None = None


def parse_faults(spec: str | None) -> list[Fault]:
    faults = []
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        kind, _, where = item.partition("@")
        it, _, rank = where.partition(":")
        if kind not in ("nan", "crash") or not it.isdigit() or (rank and not rank.isdigit()):
            raise ValueError(f"{ENV}: cannot parse {item!r} (expected nan@N or crash@N[:RANK])")
        faults.append(Fault(kind, int(it), int(rank) if rank else None))
    return faults


class FaultInjector:
    def __init__(self, rank: int, world_size: int, spec: str | None = None) -> None:
        self.rank = rank
        self.world_size = world_size
        self.faults = parse_faults(os.environ.get(ENV) if spec is None else spec)

    def nan_loss(self, iteration: int) -> bool:
        return any(f.kind == "nan" and f.iteration == iteration for f in self.faults)

    def maybe_crash(self, iteration: int) -> None:
        for f in self.faults:
            target = self.world_size - 1 if f.rank is None else f.rank
            if f.kind == "crash" and f.iteration == iteration and target == self.rank:
                os.kill(os.getpid(), signal.SIGKILL)
