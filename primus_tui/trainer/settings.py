"""Training-loop settings read from the merged Megatron args (pure Python, no torch).

Follows Megatron's own defaults and derivations (`megatron/training/arguments.py`):
lr_decay_iters defaults to train_iters, lr_warmup_fraction overrides lr_warmup_iters,
train_samples may replace train_iters, and the scheduler counts samples, not iterations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from primus_tui.trainer.errors import UnsupportedConfig

DECAY_STYLES = ("constant", "linear", "cosine", "inverse-square-root")
OPTIMIZERS = ("adam", "adamw")


def _num(values: Mapping[str, Any], key: str, default: Any = None, *, kind: type = float, minimum: float | None = None):
    value = values.get(key, default)
    if value is None:
        if default is None:
            raise UnsupportedConfig(key, "is required")
        value = default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = kind(value)
        except (TypeError, ValueError):
            raise UnsupportedConfig(key, f"expected a number, got {value!r}") from None
    if kind is int and float(value) != int(value):
        raise UnsupportedConfig(key, f"expected an integer, got {value!r}")
    value = kind(value)
    if minimum is not None and value < minimum:
        raise UnsupportedConfig(key, f"must be >= {minimum:g}, got {value!r}")
    return value


def _paths(value: Any) -> list[str] | None:
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        return value.split()
    return [str(v) for v in value]


@dataclass(frozen=True)
class TrainSettings:
    """What the loop needs besides the model: batches, schedule, optimizer, logging, data, saving."""

    train_iters: int
    micro_batch_size: int
    global_batch_size: int
    seq_length: int
    lr: float
    min_lr: float
    lr_warmup_init: float
    lr_warmup_iters: int
    lr_decay_iters: int
    lr_decay_style: str
    weight_decay: float
    clip_grad: float
    optimizer: str
    adam_beta1: float
    adam_beta2: float
    adam_eps: float
    log_interval: int
    save: str | None
    save_interval: int | None
    disable_last_saving: bool
    mock_data: bool
    data_path: list[str] | None
    split: str
    train_data_path: list[str] | None
    valid_data_path: list[str] | None
    test_data_path: list[str] | None
    data_cache_path: str | None
    num_workers: int
    eod_mask_loss: bool
    seed: int
    bf16: bool
    load: str | None = None
    finetune: bool = False
    no_load_optim: bool = False
    no_load_rng: bool = False
    exit_on_missing_checkpoint: bool = False

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> TrainSettings:
        mbs = _num(values, "micro_batch_size", 1, kind=int, minimum=1)
        gbs = _num(values, "global_batch_size", mbs, kind=int, minimum=1)
        if values.get("train_iters") is None and values.get("train_samples") is not None:
            train_iters = _num(values, "train_samples", kind=int, minimum=1) // gbs
        else:
            train_iters = _num(values, "train_iters", kind=int, minimum=1)
        decay_iters = values.get("lr_decay_iters")
        decay_iters = train_iters if decay_iters is None else _num(values, "lr_decay_iters", kind=int, minimum=1)
        warmup_fraction = values.get("lr_warmup_fraction")
        if warmup_fraction is not None:
            warmup_iters = int(_num(values, "lr_warmup_fraction", minimum=0) * decay_iters)
        else:
            warmup_iters = _num(values, "lr_warmup_iters", 0, kind=int, minimum=0)
        if warmup_iters >= decay_iters:
            raise UnsupportedConfig("lr_warmup_iters", f"{warmup_iters} must be < lr_decay_iters ({decay_iters})")
        lr = _num(values, "lr", minimum=0)
        min_lr = _num(values, "min_lr", 0.0, minimum=0)
        if min_lr > lr:
            raise UnsupportedConfig("min_lr", f"{min_lr:g} is larger than lr ({lr:g})")
        style = str(values.get("lr_decay_style") or "linear")
        if style not in DECAY_STYLES:
            raise UnsupportedConfig("lr_decay_style", f"{style!r} is not supported (use one of {', '.join(DECAY_STYLES)})")
        optimizer = str(values.get("optimizer") or "adam").lower()
        if optimizer not in OPTIMIZERS:
            raise UnsupportedConfig("optimizer", f"{optimizer!r} is not supported (use adam)")
        save_interval = values.get("save_interval")
        return cls(
            train_iters=train_iters,
            micro_batch_size=mbs,
            global_batch_size=gbs,
            seq_length=_num(values, "seq_length", kind=int, minimum=1),
            lr=lr,
            min_lr=min_lr,
            lr_warmup_init=_num(values, "lr_warmup_init", 0.0, minimum=0),
            lr_warmup_iters=warmup_iters,
            lr_decay_iters=decay_iters,
            lr_decay_style=style,
            weight_decay=_num(values, "weight_decay", 0.0, minimum=0),
            clip_grad=_num(values, "clip_grad", 0.0, minimum=0),
            optimizer=optimizer,
            adam_beta1=_num(values, "adam_beta1", 0.9),
            adam_beta2=_num(values, "adam_beta2", 0.999),
            adam_eps=_num(values, "adam_eps", 1e-8),
            log_interval=_num(values, "log_interval", 100, kind=int, minimum=1),
            save=values.get("save") or None,
            save_interval=None if save_interval is None else _num(values, "save_interval", kind=int, minimum=1),
            disable_last_saving=bool(values.get("disable_last_saving", False)),
            mock_data=bool(values.get("mock_data", False)),
            data_path=_paths(values.get("data_path")),
            split=str(values.get("split") or "969,30,1"),
            train_data_path=_paths(values.get("train_data_path")),
            valid_data_path=_paths(values.get("valid_data_path")),
            test_data_path=_paths(values.get("test_data_path")),
            data_cache_path=values.get("data_cache_path") or None,
            num_workers=_num(values, "num_workers", 0, kind=int, minimum=0),
            eod_mask_loss=bool(values.get("eod_mask_loss", False)),
            seed=_num(values, "seed", 1234, kind=int),
            bf16=bool(values.get("bf16", False)),
            load=str(values["load"]) if values.get("load") else None,
            finetune=bool(values.get("finetune", False)),
            no_load_optim=bool(values.get("no_load_optim", False)),
            no_load_rng=bool(values.get("no_load_rng", False)),
            exit_on_missing_checkpoint=bool(values.get("exit_on_missing_checkpoint", False)),
        )

    def num_microbatches(self, data_parallel_size: int) -> int:
        """Gradient-accumulation steps: global batch / (micro batch x data-parallel size)."""
        per_step = self.micro_batch_size * data_parallel_size
        if self.global_batch_size % per_step:
            raise UnsupportedConfig(
                "global_batch_size",
                f"{self.global_batch_size} is not a multiple of micro_batch_size x data-parallel size "
                f"({self.micro_batch_size} x {data_parallel_size})",
            )
        return self.global_batch_size // per_step

    @property
    def has_data(self) -> bool:
        return bool(self.data_path or self.train_data_path)

    def check_data(self) -> None:
        """Real data must exist as Megatron indexed files (<prefix>.bin + <prefix>.idx)."""
        if self.mock_data:
            return
        if not self.has_data:
            raise UnsupportedConfig("data_path", "no training data: set data_path / train_data_path, or mock_data: true")
        key = "train_data_path" if self.train_data_path else "data_path"
        for item in self.train_data_path or self.data_path or []:
            try:
                float(item)
                continue  # a blend weight
            except ValueError:
                pass
            if not (Path(item + ".bin").is_file() and Path(item + ".idx").is_file()):
                raise UnsupportedConfig(key, f"{item}.bin / {item}.idx not found")
