"""torch.save checkpoints in Megatron's directory layout (iter_NNNNNNN/mp_rank_00/model_optim_rng.pt)."""

from __future__ import annotations

import os
from pathlib import Path

import torch


def save_checkpoint(save_dir: str, iteration: int, state: dict) -> Path:
    """Write atomically (temp file + os.replace); the tracker file names the latest iteration."""
    root = Path(save_dir)
    target = root / f"iter_{iteration:07d}" / "mp_rank_00" / "model_optim_rng.pt"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".pt.tmp")
    torch.save(state, tmp)
    os.replace(tmp, target)
    tracker = root / "latest_checkpointed_iteration.txt"
    tmp_tracker = tracker.with_suffix(".txt.tmp")
    tmp_tracker.write_text(f"{iteration}\n")
    os.replace(tmp_tracker, tracker)
    return target
