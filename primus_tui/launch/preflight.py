"""Checks before anything is launched: the experiment resolves and is trainable, and the
training dependencies are installed. Failing here costs milliseconds, not a torchrun start-up.

Only pure modules are imported: the config engine and the trainer's torch-free `settings`,
`arch` and `tokenizer` (no torch, no megatron).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import os

from primus_tui.config import ConfigError, ConfigTree, resolve_experiment
from primus_tui.config.cli_overrides import normalize
from primus_tui.launch.errors import LaunchError
from primus_tui.megatron.liveness import KeyLiveness, classify, classify_key
from primus_tui.megatron.registry import Registry, registry_for_root

TRAIN_EXTRA = "pip install -e .[train]"
# Comma-separated keys a CLI override may set although Megatron has no such argument (a Primus patch reads it).
PRIMUS_ONLY_ENV = "PRIMUS_TUI_PRIMUS_ONLY_KEYS"
REQUIRED_MODULES = (("torch", "torch"), ("megatron.core", "megatron-core"))


@dataclass(frozen=True)
class Resolved:
    values: dict
    model_file: Path | None
    framework: str
    dead_keys: tuple[KeyLiveness, ...] = ()  # merged keys Megatron will not read (reported, not fatal)


def check_override_keys(overrides: list[str], values: dict, registry: Registry) -> None:
    """A CLI override Megatron will not read is a mistake (a typo trains the default): exit 2,
    with did-you-mean, unless the key is named in $PRIMUS_TUI_PRIMUS_ONLY_KEYS."""
    allowed = {k.strip() for k in os.environ.get(PRIMUS_ONLY_ENV, "").split(",") if k.strip()}
    mla = bool(values.get("multi_latent_attention"))
    model_type = None if values.get("model_type") is None else str(values["model_type"])
    for key, _ in normalize(overrides):
        top = key.split(".", 1)[0]
        if top in allowed:
            continue
        verdict = classify_key(top, registry, model_type=model_type, mla=mla)
        if verdict.dead:
            hint = f" (did you mean {verdict.suggestion!r}?)" if verdict.suggestion else ""
            raise LaunchError(f"CLI override {key!r}: {verdict.status} key, {verdict.reason}{hint}; "
                              f"set {PRIMUS_ONLY_ENV}={top} if a Primus patch reads it")


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
    registry = registry_for_root(primus_root)
    check_override_keys(overrides, module.values, registry)
    dead = tuple(v for v in classify(module.values, registry).values() if v.dead)
    try:
        settings = TrainSettings.from_values(module.values)
        architecture(module.values)
        settings.check_data()
        resolve_tokenizer(module.values, mock_data=settings.mock_data)  # HF cache only, never the Hub
    except UnsupportedConfig as exc:
        raise LaunchError(f"{config}: {exc}") from None
    model_file = module.model_preset.path if module.model_preset else None
    return Resolved(values=module.values, model_file=model_file, framework=module.framework, dead_keys=dead)


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
