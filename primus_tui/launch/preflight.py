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
from primus_tui.errors import one_line
from primus_tui.launch.errors import LaunchError
from primus_tui.megatron.liveness import KeyLiveness, classify, classify_key
from primus_tui.megatron.registry import Registry, registry_for_root

# The one command the app and the launcher name: installs the training extra, and the CPU torch wheel
# only where no torch is importable (never over a ROCm / CUDA build). See the Makefile.
TRAIN_EXTRA = "make train-extra"
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
        raise LaunchError(one_line(exc)) from None
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


def _findable(module: str) -> bool:
    """Installed, found without importing anything: `megatron.core` is a `core` package folder
    inside an importable `megatron` package (find_spec of a submodule would import its parent)."""
    head, _, rest = module.partition(".")
    try:
        spec = importlib.util.find_spec(head)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    if not rest:
        return True
    for folder in spec.submodule_search_locations or []:
        sub = Path(folder, *rest.split("."))
        if (sub / "__init__.py").is_file() or sub.with_suffix(".py").is_file():
            return True
    return False


def missing_dependencies() -> list[str]:
    """Training packages that are not installed (found without importing them)."""
    return [package for module, package in REQUIRED_MODULES if not _findable(module)]


def training_extra_note() -> str:
    """'' or one line for the launch step: what is missing and the command that installs it."""
    import sys

    missing = missing_dependencies()
    if not missing:
        return ""
    return (f"{' and '.join(missing)} not installed for {sys.executable}: run `{TRAIN_EXTRA}` "
            "(the training extra; the CPU torch wheel only where no torch is importable)")


def check_dependencies(python: str) -> None:
    missing = missing_dependencies()
    if missing:
        raise LaunchError(
            f"{' and '.join(missing)} not installed for {python}; install the training extra: {TRAIN_EXTRA}",
            exit_code=1,
        )
