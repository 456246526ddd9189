"""Checks before anything is launched: the experiment resolves and is trainable, and the
training dependencies are installed. Failing here costs milliseconds, not a torchrun start-up.

Only pure modules are imported: the config engine and the trainer's torch-free `settings`,
`arch` and `tokenizer` (no torch, no megatron).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from primus_tui.config import ConfigError, ConfigTree, resolve_experiment
from primus_tui.launch.errors import LaunchError

TRAIN_EXTRA = "pip install -e .[train]"
REQUIRED_MODULES = (("torch", "torch"), ("megatron.core", "megatron-core"))


@dataclass(frozen=True)
class Resolved:
    values: dict
    model_file: Path | None
    framework: str


def resolve(config: Path, overrides: list[str], primus_root: Path | None) -> Resolved:
    """Resolve with Primus's merge rules and validate what the trainer will need (exit 2 on error)."""
    from primus_tui.trainer.arch import architecture
    from primus_tui.trainer.errors import UnsupportedConfig
    from primus_tui.trainer.settings import TrainSettings
    from primus_tui.trainer.tokenizer import resolve_tokenizer

    try:
        module = resolve_experiment(config, ConfigTree.at(primus_root), cli_overrides=overrides).module("pre_trainer")
    except ConfigError as exc:
        raise LaunchError(" ".join(str(exc).split())) from None
    except KeyError:
        raise LaunchError(f"{config}: no pre_trainer module (this launcher runs `train pretrain`)") from None
    if module.framework != "megatron":
        raise LaunchError(f"{config}: framework {module.framework!r} is not supported (only megatron)")
    try:
        settings = TrainSettings.from_values(module.values)
        architecture(module.values)
        settings.check_data()
        resolve_tokenizer(module.values, mock_data=settings.mock_data)  # HF cache only, never the Hub
    except UnsupportedConfig as exc:
        raise LaunchError(f"{config}: {exc}") from None
    model_file = module.model_preset.path if module.model_preset else None
    return Resolved(values=module.values, model_file=model_file, framework=module.framework)


def check_batch(resolved: Resolved, data_parallel_size: int, config: Path) -> None:
    """global_batch_size must split into micro-batches over the ranks torchrun will start."""
    from primus_tui.trainer.errors import UnsupportedConfig
    from primus_tui.trainer.settings import TrainSettings

    try:
        TrainSettings.from_values(resolved.values).num_microbatches(data_parallel_size)
    except UnsupportedConfig as exc:
        raise LaunchError(f"{config}: {exc}") from None


def missing_dependencies() -> list[str]:
    """Training packages that are not installed (found without importing them)."""
    missing = []
    for module, package in REQUIRED_MODULES:
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(package)
    return missing


def check_dependencies(python: str) -> None:
    missing = missing_dependencies()
    if missing:
        raise LaunchError(
            f"{' and '.join(missing)} not installed for {python}; install the training extra: {TRAIN_EXTRA}",
            exit_code=1,
        )
