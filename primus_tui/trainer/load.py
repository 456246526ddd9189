"""`load: DIR` as Megatron-LM's load_checkpoint reads it: model weights into the built GPTModel.

A megatron-core distributed checkpoint (what `primus-tui convert` and Megatron-LM write) is read
with dist_checkpointing.load; the trainer's own torch.save checkpoints are read too. A release
checkpoint or `finetune` starts at iteration 0; otherwise at the checkpoint's iteration. This
trainer restores weights only: optimizer and RNG state start fresh (as no_load_optim /
no_load_rng), with a warning when Megatron would have loaded them. The log lines are Megatron's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from primus_tui.trainer.errors import UnsupportedConfig
from primus_tui.trainer.settings import TrainSettings


@dataclass(frozen=True)
class Loaded:
    iteration: int
    consumed_samples: int
    root: Path | None  # the load folder, when a checkpoint was found


def load_pretrained(model: torch.nn.Module, settings: TrainSettings, say: Callable[[str], None],
                    warn: Callable[[str], None]) -> Loaded:
    from primus_tui.weights.megatron_ckpt import TRACKER, CheckpointMismatch, load_model, locate

    assert settings.load
    load_dir = settings.load
    root = Path(load_dir).expanduser()
    if not (root / TRACKER).is_file():
        say(f"WARNING: could not find the metadata file {root / TRACKER}")
        say("    will not load any checkpoints and will start from random")
        if settings.exit_on_missing_checkpoint:
            raise UnsupportedConfig("load", f"{load_dir}: no {TRACKER} and exit_on_missing_checkpoint is set")
        return Loaded(0, 0, None)
    try:
        located = locate(root)
    except (FileNotFoundError, ValueError) as exc:
        raise UnsupportedConfig("load", str(exc)) from None
    dist = "distributed " if located.format == "torch_dist" else ""
    if located.release:
        say(f" loading release {dist}checkpoint from {load_dir}")
    else:
        say(f" loading {dist}checkpoint from {load_dir} at iteration {located.iteration}")
    try:
        common = load_model(model, located)
    except CheckpointMismatch as exc:
        raise UnsupportedConfig("load", f"not a checkpoint of this model: {exc}") from None
    fresh = located.release or settings.finetune
    iteration = 0 if fresh else int(common.get("iteration", located.iteration))
    consumed = 0 if fresh else int(common.get("consumed_samples", iteration * settings.global_batch_size))
    if not fresh and not (settings.no_load_optim and settings.no_load_rng):
        warn("this trainer restores model weights only: optimizer and RNG state start fresh "
             "(set no_load_optim / no_load_rng, or finetune, to say so)")
    say(f"  successfully loaded checkpoint from {load_dir} [ t 1/1, p 1/1 ] at iteration {iteration}")
    return Loaded(iteration, consumed, root)
