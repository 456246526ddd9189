"""Parameter count of the real megatron-core GPTModel, built in a subprocess (no torch here).

The child is `python -m primus_tui.trainer.count_params` (JSON fields on stdin, JSON counts on
stdout). Its total includes Megatron's vocabulary padding, so compare it with
`param_count_from_fields(...).total + .vocab_padding`.
"""

from __future__ import annotations

import json
import subprocess
import sys

from primus_tui.hf.errors import HFError

COUNT_MODULE = "primus_tui.trainer.count_params"


def megatron_param_count(fields: dict, timeout: float = 120) -> int:
    """Total parameters (padded vocabulary included) of megatron-core's GPTModel for `fields`."""
    return megatron_param_counts([fields], timeout=timeout)[0]


def megatron_param_counts(batch: list[dict], timeout: float = 120) -> list[int]:
    """Like `megatron_param_count` for many field sets, paying the torch import once."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", COUNT_MODULE],
            input=json.dumps(batch), capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise HFError(f"megatron-core parameter count: no answer within {timeout:g} s") from None
    except OSError as exc:
        raise HFError(f"megatron-core parameter count: cannot start {sys.executable}: {exc}") from None
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        raise HFError(f"megatron-core parameter count failed: {lines[-1] if lines else f'exit {proc.returncode}'}")
    try:
        results = json.loads(proc.stdout)
        return [int(r["total"]) for r in results]
    except (ValueError, KeyError, TypeError):
        raise HFError(f"megatron-core parameter count: unreadable answer {proc.stdout.strip()[:200]!r}") from None
