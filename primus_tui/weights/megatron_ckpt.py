"""Megatron-LM's checkpoint layout and megatron-core distributed (torch_dist) save / load of a GPTModel.

Names follow `megatron/training/checkpointing.py` at the pinned commit: `<root>/iter_0000000/`
or `<root>/release/`, and `<root>/latest_checkpointed_iteration.txt` holding the iteration or
`release`. The model goes under the `model` key of the sharded state dict (Megatron's
`generate_state_dict`), so Megatron-LM `--load` (ckpt_format torch_dist) reads it at any TP/PP.
"""

from __future__ import annotations

import argparse
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from primus_tui.weights.errors import WeightsError

TRACKER = "latest_checkpointed_iteration.txt"
CHECKPOINT_VERSION = 3.0  # what generate_state_dict writes


class CheckpointMismatch(WeightsError, ValueError):
    """The checkpoint's tensors are not the model's (another model, or another vocab padding)."""


@dataclass(frozen=True)
class Located:
    """A checkpoint found under a `load` directory."""

    root: Path
    path: Path  # the iter_NNNNNNN / release folder (or the torch-format folder)
    iteration: int
    release: bool
    format: str  # "torch_dist" or "torch" (the trainer's torch.save files)


def checkpoint_name(root: Path, iteration: int, release: bool = False) -> Path:
    return root / ("release" if release else f"iter_{iteration:07d}")


def read_tracker(root: Path) -> tuple[int, bool]:
    """Megatron's read_metadata: an integer iteration, or `release` (iteration 0)."""
    text = (root / TRACKER).read_text().strip()
    if text == "release":
        return 0, True
    try:
        return int(text), False
    except ValueError:
        raise CheckpointMismatch(f"{root / TRACKER}: expected an iteration or 'release', got {text[:40]!r}") from None


def locate(root: Path) -> Located:
    """The checkpoint the tracker names (or `root` itself when it is an iter/release folder)."""
    root = Path(root)
    if (root / TRACKER).is_file():
        iteration, release = read_tracker(root)
        path = checkpoint_name(root, iteration, release)
    elif (root / "metadata.json").is_file() or (root / "mp_rank_00").is_dir():
        path, release = root, root.name == "release"
        iteration = 0 if release else int(root.name.removeprefix("iter_")) if root.name.startswith("iter_") else 0
        root = root.parent
    else:
        raise FileNotFoundError(f"{root}: no {TRACKER} (not a Megatron checkpoint folder)")
    if (path / "metadata.json").is_file():
        return Located(root, path, iteration, release, "torch_dist")
    if (path / "mp_rank_00" / "model_optim_rng.pt").is_file():
        return Located(root, path, iteration, release, "torch")
    raise FileNotFoundError(f"{path}: no distributed checkpoint (metadata.json) or mp_rank_00/model_optim_rng.pt")


def checkpoint_args(values: dict[str, Any], padded_vocab_size: int) -> argparse.Namespace:
    """The `args` Megatron stores: Primus's args for these values (argparse defaults < merged params,
    so check_checkpoint_args sees what a Megatron run of the same config has: num_layers, hidden_size,
    add_position_embedding, ...), with the sizes this checkpoint was written at."""
    from primus_tui.megatron.registry import load_registry
    from primus_tui.trainer.arch import megatron_args

    args = megatron_args(values, load_registry())
    plain = {k: v for k, v in args.items() if isinstance(v, (int, float, str, bool, type(None), list, tuple))}
    plain.update(padded_vocab_size=padded_vocab_size, tensor_model_parallel_size=1, pipeline_model_parallel_size=1,
                 world_size=1, data_parallel_size=1, no_save_optim=True, no_save_rng=True)
    return argparse.Namespace(**plain)


def _without_psutil() -> None:
    """megatron-core's torch_dist writer logs its RSS through psutil and, without it, its writer
    processes die and the save hangs; the number is only logged, so 0 stands in for it."""
    from megatron.core.dist_checkpointing.strategies import filesystem_async

    if not getattr(filesystem_async, "HAVE_PSUTIL", True):
        filesystem_async._process_memory = lambda: 0


def _live_results_queue() -> None:
    """megatron-core keeps one results queue, served by a Manager process, for the life of the
    process; if that process died (stopped by anyone), every later save fails with BrokenPipeError.
    A dead one is dropped, so the next save starts a new Manager."""
    from megatron.core.dist_checkpointing.strategies import filesystem_async

    queue = getattr(filesystem_async, "_results_queue", None)
    if queue is None:
        return
    try:
        queue.qsize()
    except (OSError, EOFError):
        filesystem_async._results_queue = None


def save(sharded_model: dict, folder: Path, common: dict[str, Any]) -> None:
    """dist_checkpointing.save of {'model': ..., **common} into `folder` (created, must be empty)."""
    from megatron.core import dist_checkpointing

    _without_psutil()
    _live_results_queue()
    folder.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dist_checkpointing.save({"model": sharded_model, **common}, str(folder))


def _expected(sharded_model: dict) -> dict[str, tuple[int, ...]]:
    """ShardedTensor key -> global shape the model wants (factories applied, as load does)."""
    from megatron.core.dist_checkpointing.mapping import ShardedTensor, ShardedTensorFactory

    wanted: dict[str, tuple[int, ...]] = {}
    for value in sharded_model.values():
        if isinstance(value, ShardedTensorFactory):
            built = value.build()
            items = built.values() if isinstance(built, dict) else (built if isinstance(built, list) else [built])
            for item in items:
                if isinstance(item, ShardedTensor):
                    wanted[item.key] = tuple(item.global_shape)
        elif isinstance(value, ShardedTensor):
            wanted[value.key] = tuple(value.global_shape)
    return wanted


def check_compatible(sharded_model: dict, folder: Path) -> None:
    """CheckpointMismatch naming the first tensor the checkpoint lacks or has in another shape."""
    from megatron.core import dist_checkpointing

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stored = dist_checkpointing.load_tensors_metadata(str(folder))
    have = {k: tuple(v.global_shape) for k, v in stored.items()}
    for key, shape in _expected(sharded_model).items():
        if key not in have:
            raise CheckpointMismatch(f"{folder}: checkpoint has no tensor {key} (the model wants shape {shape})")
        if have[key] != shape:
            raise CheckpointMismatch(f"{folder}: tensor {key}: checkpoint has shape {have[key]}, the model wants {shape}")


def load_model(model: torch.nn.Module, located: Located) -> dict[str, Any]:
    """Fill `model` (a GPTModel) from the checkpoint; returns the common (non-tensor) state."""
    if located.format == "torch":
        state = torch.load(located.path / "mp_rank_00" / "model_optim_rng.pt", map_location="cpu", weights_only=False)
        _load_state(model, state["model"], located.path)
        return state
    from megatron.core import dist_checkpointing

    sharded = model.sharded_state_dict()
    check_compatible(sharded, located.path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        common = dist_checkpointing.load_common_state_dict(str(located.path))
        loaded = dist_checkpointing.load({"model": sharded}, str(located.path))
    _load_state(model, loaded["model"], located.path)
    return common


def _load_state(model: torch.nn.Module, state: dict, where: Path) -> None:
    own = model.state_dict()
    for key, tensor in state.items():
        if isinstance(tensor, torch.Tensor) and key in own and tuple(own[key].shape) != tuple(tensor.shape):
            raise CheckpointMismatch(f"{where}: tensor {key}: checkpoint has shape {tuple(tensor.shape)}, "
                                     f"the model wants {tuple(own[key].shape)}")
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("_extra_state")]
    if missing:
        raise CheckpointMismatch(f"{where}: checkpoint has no tensor {missing[0]} "
                                 f"(the model wants shape {tuple(own[missing[0]].shape)})")
