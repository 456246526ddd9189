"""Headline numbers of a training run, from its log lines (pure: no torch, no textual).

Fed the same lines the log pane shows. Iteration lines come from the core parser
(`logparse.parse_line`); besides them a few start-up and report lines fill in what the
iteration line leaves out:
- Megatron-LM `report_memory`: `[Rank 0] (after 1 iterations) memory (MB) | allocated: ... |
  max allocated: ... | reserved: ... | max reserved: ...`;
- the world size and sequence length (Megatron's `using world size: 8, ...` and its argument dump
  `  seq_length ........ 8192`; our trainer's `device : CPU x 1 rank(s)`, `sequence : seq_length 64`).
Megatron-LM prints no tokens/s: it is global_batch_size x seq_length / iteration time, per device
over the world size. MFU is TFLOP/s per device over the GPU kind's dense peak (`plan.gpus`); on
CPU there is no meaningful peak, so MFU is not shown and every unit says CPU.
Megatron resets its skipped / NaN counters at every log line, so they are summed here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from primus_tui.launch.logparse import TrainingStep, parse_line
from primus_tui.plan.gpus import GPU

ETA_WINDOW = 20  # iterations the ETA averages over (the first, with its warm-up, never counts)
MAX_POINTS = 2000  # points kept per series for the plots (between this and twice as many)

_MEMORY_RE = re.compile(r"memory \(MB\)\s*\|\s*allocated:\s*([\d.]+)\s*\|\s*max allocated:\s*([\d.]+)"
                        r"\s*\|\s*reserved:\s*([\d.]+)\s*\|\s*max reserved:\s*([\d.]+)")
_WORLD_RES = (re.compile(r"using world size:\s*(\d+)"), re.compile(r"^\s*world_size \.+ (\d+)\s*$"),
              re.compile(r"device\s*:\s*(CPU|GPU|cuda|rocm)\S* x (\d+) rank"))
_SEQ_RES = (re.compile(r"^\s*seq_length \.+ (\d+)\s*$"), re.compile(r"sequence\s*:\s*seq_length (\d+)"))


@dataclass(frozen=True)
class MemoryReport:
    """One `report_memory` line (MB, as Megatron prints it)."""

    allocated_mb: float
    max_allocated_mb: float
    reserved_mb: float
    max_reserved_mb: float


def parse_memory_line(line: str) -> MemoryReport | None:
    match = _MEMORY_RE.search(line)
    return MemoryReport(*(float(g) for g in match.groups())) if match else None


@dataclass
class Series:
    """x (iteration) and y values of one plotted quantity; non-finite values are left out."""

    x: list[int] = field(default_factory=list)
    y: list[float] = field(default_factory=list)

    def add(self, x: int, y: float | None) -> None:
        if y is None or not math.isfinite(y):
            return
        self.x.append(x)
        self.y.append(y)
        if len(self.x) > 2 * MAX_POINTS:  # trimmed in chunks: one list shift per MAX_POINTS points
            del self.x[:-MAX_POINTS], self.y[:-MAX_POINTS]

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class Headline:
    """What the run view's headline says; `None` where the log has not told us (shown as '-')."""

    iteration: int | None
    train_iters: int | None
    eta_s: float | None
    device: str  # "GPU" kind name or "CPU": the unit of every per-device number
    world: int | None
    tokens_per_s_device: float | None
    tokens_per_s_total: float | None
    tflops_device: float | None
    mfu: float | None  # 0..1, None on CPU or without a peak
    loss: float | None
    learning_rate: float | None
    grad_norm: float | None
    memory: MemoryReport | None
    skipped: int
    nan: int

    @property
    def unit(self) -> str:
        return "CPU" if self.device == "CPU" else "GPU"

    def progress(self) -> str:
        if self.iteration is None:
            return "iteration -/-"
        eta = f"  ETA {format_duration(self.eta_s)}" if self.eta_s is not None else ""
        return f"iteration {self.iteration}/{self.train_iters}{eta}"

    def throughput(self) -> str:
        per = _num(self.tokens_per_s_device, ",.0f")
        total = _num(self.tokens_per_s_total, ",.0f")
        world = f" x {self.world}" if self.world else ""
        return f"{per} tok/s/{self.unit}{world} = {total} tok/s"

    def compute(self) -> str:
        flops = f"{_num(self.tflops_device, '.1f')} TFLOP/s/{self.unit}"
        if self.unit == "CPU":
            return flops
        return f"{flops}  MFU {_num(None if self.mfu is None else 100 * self.mfu, '.1f')}% of {self.device}"

    def health(self) -> str:
        mem = "-"
        if self.memory is not None:
            mem = f"{self.memory.max_allocated_mb / 1024:.1f} GiB max alloc, {self.memory.max_reserved_mb / 1024:.1f} reserved"
        return f"memory {mem}  skipped {self.skipped}  NaN {self.nan}"

    def losses(self) -> str:
        return (f"lm loss {_num(self.loss, '.4f')}  grad norm {_num(self.grad_norm, '.3f')}  "
                f"lr {_num(self.learning_rate, '.3e')}")

    def lines(self) -> list[str]:
        return [f"{self.progress()}   {self.losses()}", f"{self.throughput()}   {self.compute()}", self.health()]


def _num(value: float | None, spec: str) -> str:
    return "-" if value is None or not math.isfinite(value) else format(value, spec)


def format_duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "-"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class RunMetrics:
    """Accumulates a run's steps and reports; `headline()` and the series are read by the run view."""

    def __init__(self, *, gpu: GPU | None = None, world: int | None = None, seq_length: int | None = None,
                 precision: str = "bf16") -> None:
        self.gpu = gpu  # None: CPU
        self.world = world
        self.seq_length = seq_length
        self.precision = precision
        self.last: TrainingStep | None = None
        self.memory: MemoryReport | None = None
        self.skipped = 0
        self.nan = 0
        self._times: list[float] = []
        self.loss, self.tokens, self.tflops, self.grad_norm, self.lr = (Series() for _ in range(5))

    @property
    def series(self) -> dict[str, Series]:
        return {"loss": self.loss, "tokens": self.tokens, "tflops": self.tflops, "grad_norm": self.grad_norm,
                "lr": self.lr}

    def feed(self, lines: Iterable[str]) -> list[TrainingStep]:
        """Read a batch of display lines; returns the training steps found (rank 0 / unranked)."""
        steps = []
        for line in lines:
            if "iteration" in line:
                step = parse_line(line)
                if step is not None and step.rank in (None, 0):
                    self.add(step)
                    steps.append(step)
                    continue
            if "memory (MB)" in line:
                self.memory = parse_memory_line(line) or self.memory
            elif "world" in line or "rank" in line or "seq_length" in line:
                self._context(line)
        return steps

    def _context(self, line: str) -> None:
        for regex in _WORLD_RES:
            match = regex.search(line)
            if match:
                self.world = int(match.groups()[-1])
                return
        for regex in _SEQ_RES:
            match = regex.search(line)
            if match:
                self.seq_length = int(match.group(1))
                return

    def add(self, step: TrainingStep) -> None:
        first = self.last is None
        self.last = step
        self.skipped += step.skipped or 0
        self.nan += step.nan or 0
        if step.elapsed_ms is not None and step.elapsed_ms > 0 and not first:
            self._times.append(step.elapsed_ms)
            del self._times[:-ETA_WINDOW]
        x = step.iteration
        self.loss.add(x, step.lm_loss)
        self.tokens.add(x, self.tokens_per_device(step))
        self.tflops.add(x, step.tflops_per_gpu)
        self.grad_norm.add(x, step.grad_norm)
        self.lr.add(x, step.learning_rate)

    def tokens_per_device(self, step: TrainingStep) -> float | None:
        if step.tokens_per_sec is not None:
            return step.tokens_per_sec
        if not (step.global_batch_size and self.seq_length and step.elapsed_ms and self.world):
            return None
        return step.global_batch_size * self.seq_length / (step.elapsed_ms / 1000) / self.world

    def eta_s(self) -> float | None:
        step = self.last
        if step is None:
            return None
        times = self._times or ([step.elapsed_ms] if step.elapsed_ms else [])
        if not times:
            return None
        return max(0, step.train_iters - step.iteration) * (sum(times) / len(times)) / 1000

    def headline(self) -> Headline:
        step = self.last
        per = self.tokens_per_device(step) if step is not None else None
        total = per * self.world if per is not None and self.world else None
        tflops = step.tflops_per_gpu if step is not None else None
        mfu = None
        if self.gpu is not None and tflops is not None:
            mfu = tflops * 1e12 / self.gpu.peak_flops(self.precision)
        return Headline(
            iteration=step.iteration if step else None, train_iters=step.train_iters if step else None,
            eta_s=self.eta_s(), device=self.gpu.name if self.gpu is not None else "CPU", world=self.world,
            tokens_per_s_device=per, tokens_per_s_total=total, tflops_device=tflops, mfu=mfu,
            loss=step.lm_loss if step else None, learning_rate=step.learning_rate if step else None,
            grad_norm=step.grad_norm if step else None, memory=self.memory, skipped=self.skipped, nan=self.nan,
        )
