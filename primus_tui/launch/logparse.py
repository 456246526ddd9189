"""Parse Megatron `training_log` lines (ours, Megatron-LM's and Primus's) into `TrainingStep`.

One parser serves the TUI's live log pane and the tests, so it must read:
- Megatron-LM: ` [2024-04-06 02:55:45] iteration        2/     100 | consumed samples: 256 | ... |`
- Primus (loguru prefix, maybe coloured):
  `[20251202 22:42:56][rank-7/8][INFO]     [----trainer.py:1544] : iteration 2/ 50 | ...`
  with its rewritten segments `elapsed time per iteration (ms): 5630.1/5600.2`,
  `compute per GPU (TFLOP/s/GPU): 231.9 (avg 230.0)`,
  `tokens/s/GPU inst/harmonic mean: 9573.2/9500.1` or `tokens per GPU (tokens/s/GPU): 6759.1`.
Missing fields stay None; unknown segments are kept in `extra`. Pure Python, no torch.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

__all__ = ["TrainingStep", "parse_line", "parse_log", "split_lines", "strip_ansi"]

# CSI sequences (colours, cursor moves) and OSC sequences (titles, hyperlinks).
_ANSI_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_ITER_RE = re.compile(r"\biteration\s+(\d+)\s*/\s*(\d+)\s*\|")
_RANK_RE = re.compile(r"\[rank-(\d+)/(\d+)\]")
_NUM_RE = re.compile(r"[-+]?(?:nan|inf(?:inity)?|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)", re.IGNORECASE)


@dataclass
class TrainingStep:
    """One `iteration N/ M | ...` line; every field but the iteration may be missing."""

    iteration: int
    train_iters: int
    consumed_samples: int | None = None
    elapsed_ms: float | None = None
    tflops_per_gpu: float | None = None
    tokens_per_sec: float | None = None  # per GPU, as Primus prints it (tokens/s/GPU)
    learning_rate: float | None = None
    global_batch_size: int | None = None
    lm_loss: float | None = None
    loss_scale: float | None = None
    grad_norm: float | None = None
    skipped: int | None = None
    nan: int | None = None
    rank: int | None = None  # from a Primus `[rank-R/W]` prefix
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def loss_is_finite(self) -> bool:
        return self.lm_loss is not None and math.isfinite(self.lm_loss)


def strip_ansi(text: str) -> str:
    return _ANSI_RE.sub("", text)


def _visible(line: str) -> str:
    """What a terminal shows for a line rewritten with carriage returns: the last non-empty part."""
    parts = [p for p in line.split("\r") if p]
    return parts[-1] if parts else ""


def split_lines(buffer: str) -> tuple[list[str], str]:
    """Split streamed output into complete display lines (ANSI stripped, `\\r` resolved) and the rest.

    `rest` is the unterminated tail, returned raw so that an escape sequence or a `\\r\\n`
    cut across two reads is joined with the next chunk before being interpreted.
    """
    *complete, rest = buffer.split("\n")
    head = buffer[: len(buffer) - len(rest)]
    if "\r" not in head and "\x1b" not in head:
        return complete, rest  # plain text (the usual case): nothing to resolve per line
    return [strip_ansi(_visible(line)) for line in complete], rest


def _first_number(text: str) -> float | None:
    match = _NUM_RE.search(text)
    return float(match.group(0)) if match else None


def _as_int(value: float | None) -> int | None:
    return None if value is None or not math.isfinite(value) else int(value)


# Segment key (lower case, before the first ':') -> (TrainingStep field, converter).
_FLOAT, _INT = "float", "int"
_KEYS: dict[str, tuple[str, str]] = {
    "consumed samples": ("consumed_samples", _INT),
    "elapsed time per iteration (ms)": ("elapsed_ms", _FLOAT),
    "throughput per gpu (tflop/s/gpu)": ("tflops_per_gpu", _FLOAT),
    "compute per gpu (tflop/s/gpu)": ("tflops_per_gpu", _FLOAT),
    "tokens per gpu (tokens/s/gpu)": ("tokens_per_sec", _FLOAT),
    "tokens/s/gpu inst/harmonic mean": ("tokens_per_sec", _FLOAT),
    "learning rate": ("learning_rate", _FLOAT),
    "global batch size": ("global_batch_size", _INT),
    "lm loss": ("lm_loss", _FLOAT),
    "loss scale": ("loss_scale", _FLOAT),
    "grad norm": ("grad_norm", _FLOAT),
    "number of skipped iterations": ("skipped", _INT),
    "number of nan iterations": ("nan", _INT),
}


_KEY_CACHE: dict[str, str] = {}  # raw segment key -> normalised (a log repeats the same ~15 keys)


def _key(raw: str) -> str:
    key = _KEY_CACHE.get(raw)
    if key is None:
        if len(_KEY_CACHE) > 4096:
            _KEY_CACHE.clear()
        key = _KEY_CACHE[raw] = " ".join(raw.split()).lower()
    return key


def _number(value: str) -> float | None:
    try:
        return float(value)  # the common case: the segment is just the number
    except ValueError:
        return _first_number(value)


def parse_line(line: str) -> TrainingStep | None:
    """The training step a log line reports, or None when it is not a `training_log` line."""
    text = line.rstrip("\r\n")
    if "\r" in text:
        text = _visible(text)
    if "\x1b" in text:
        text = strip_ansi(text)
    match = _ITER_RE.search(text)
    if match is None:
        return None
    step = TrainingStep(iteration=int(match.group(1)), train_iters=int(match.group(2)))
    if "[rank-" in text:
        rank = _RANK_RE.search(text[: match.start()])
        if rank:
            step.rank = int(rank.group(1))
    for segment in text[match.end() :].split("|"):
        raw, sep, value = segment.partition(":")
        if not sep:
            continue
        key = _key(raw)
        if not key:
            continue
        target = _KEYS.get(key)
        if target is None:
            step.extra[key] = value.strip()
            continue
        name, kind = target
        number = _number(value)
        setattr(step, name, _as_int(number) if kind == _INT else number)
    return step


def parse_log(text: str) -> list[TrainingStep]:
    """Every training step in a whole log (file contents or captured output)."""
    lines, rest = split_lines(text)
    steps = [parse_line(line) for line in [*lines, rest]]
    return [s for s in steps if s is not None]
