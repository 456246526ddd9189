"""Declared accelerator table: memory, dense peak TFLOP/s and link bandwidths per GPU.

Memory is in GiB (HBM stacks are binary-sized). Bandwidths are effective per-GPU bus bandwidths
for collectives (GB/s), deliberately round: intra-node (xGMI / NVLink) and inter-node (one
400 Gb/s NIC per GPU, ~45 GB/s achieved). `cpu` is this machine: its RAM from os.sysconf.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass

from primus_tui.plan.errors import PlanError

GIB = 1024**3


@dataclass(frozen=True)
class GPU:
    name: str
    memory_gib: float
    bf16_tflops: float
    fp8_tflops: float | None  # None: no FP8 GEMMs
    intra_gbps: float
    inter_gbps: float

    @property
    def memory_bytes(self) -> float:
        return self.memory_gib * GIB

    def peak_flops(self, precision: str) -> float:
        tflops = self.fp8_tflops if precision == "fp8" and self.fp8_tflops else self.bf16_tflops
        return tflops * 1e12


GPUS: dict[str, GPU] = {
    "mi300x": GPU("MI300X", 192, 1307, 2615, 300, 45),
    "mi325x": GPU("MI325X", 256, 1307, 2615, 300, 45),
    "mi355x": GPU("MI355X", 288, 2500, 5000, 400, 45),
    "h100": GPU("H100", 80, 989, 1979, 450, 45),
    "h200": GPU("H200", 141, 989, 1979, 450, 45),
}
CPU_TFLOPS = 1.0  # a rough many-core figure: only the ranking among CPU layouts means anything


def cpu() -> GPU:
    """This machine as one 'device': its physical RAM, no FP8, memory-speed 'links'."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = 16 * GIB
    return GPU("cpu", ram / GIB, CPU_TFLOPS, None, 20, 5)


def gpu_kind(name: str) -> GPU:
    """The GPU named (case-insensitive); a one-line error with a did-you-mean otherwise."""
    key = (name or "").strip().lower()
    if key == "cpu":
        return cpu()
    if key in GPUS:
        return GPUS[key]
    known = [*GPUS, "cpu"]
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise PlanError(f"unknown GPU kind {name!r}{hint}; known: {', '.join(known)}")
