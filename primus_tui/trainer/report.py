"""What the trainer prints: the start-up banner and Megatron's `training_log` line (pure Python).

The iteration line is byte-for-byte Megatron's format (megatron/training/training.py,
`training_log`), plus Primus's `tokens per GPU (tokens/s/GPU)` segment after the throughput,
so `primus_tui.launch.logparse` reads ours, Megatron-LM's and Primus's logs alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime



@dataclass(frozen=True)
class IterationStats:
    iteration: int
    train_iters: int
    consumed_samples: int
    elapsed_ms: float
    tflops_per_gpu: float
    tokens_per_gpu: float
    learning_rate: float
    global_batch_size: int
    lm_loss: float
    loss_scale: float
    grad_norm: float | None
    skipped: int
    nan: int


def iteration_line(s: IterationStats, now: datetime | None = None) -> str:
    stamp = (now or datetime.now()).strftime("%Y-%m-%d %H:%M:%S.%f")
    line = f" [{stamp}]"
    line += " iteration {:8d}/{:8d} |".format(s.iteration, s.train_iters)
    line += " consumed samples: {:12d} |".format(s.consumed_samples)
    line += " elapsed time per iteration (ms): {:.1f} |".format(s.elapsed_ms)
    line += f" throughput per GPU (TFLOP/s/GPU): {s.tflops_per_gpu:.1f} |"
    line += f" tokens per GPU (tokens/s/GPU): {s.tokens_per_gpu:.1f} |"
    line += f" learning rate: {s.learning_rate:.6E} |"
    line += f" global batch size: {s.global_batch_size:5d} |"
    if not math.isnan(s.lm_loss) and s.lm_loss >= 0.0:  # Megatron drops a NaN loss from the line
        line += " {}: {:.6E} |".format("lm loss", s.lm_loss)
    line += f" loss scale: {s.loss_scale:.1f} |"
    if s.grad_norm is not None:
        line += f" grad norm: {s.grad_norm:.3f} |"
    line += " number of skipped iterations: {:3d} |".format(s.skipped)
    line += " number of nan iterations: {:3d} |".format(s.nan)
    return line


def model_flops_per_token(non_embedding_params: int, num_layers: int, hidden_size: int, seq_length: int) -> float:
    """Training FLOPs per token: 6N (forward + backward matmuls) + 12*L*H*S (attention scores).

    The convention of the reference benchmarks (/work/shared/bench), so MFU figures compare.
    """
    return 6.0 * non_embedding_params + 12.0 * num_layers * hidden_size * seq_length


def banner(rows: list[tuple[str, str]], title: str = "primus-tui trainer") -> str:
    width = max(len(k) for k, _ in rows)
    lines = [f"---------------- {title} ----------------"]
    lines += [f"  {k.ljust(width)} : {v}" for k, v in rows]
    lines.append("-" * (len(lines[0])))
    return "\n".join(lines)
