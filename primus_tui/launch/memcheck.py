"""The pre-launch memory guard as every launcher asks it: which device, how many ranks, bypassed?

One place for headless, the TUI and `primus-cli`: the experiment is resolved with Primus's merge
rules, sized by `plan.guard` for this machine (CPU RAM, or the GPU kind named in
$PRIMUS_TUI_GPU / the answers' `launch.gpu`), for the ranks torchrun will start here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from primus_tui.config import ConfigError, ConfigTree, resolve_experiment
from primus_tui.errors import one_line
from primus_tui.launch.env import probe_gpus, resolve_dist_env
from primus_tui.launch.errors import LaunchError
from primus_tui.plan.guard import ALLOW_ENV, GPU_ENV, Verdict, unchecked, verdict_for_experiment

TRUE = ("1", "true", "yes", "on")


def allowed(env: Mapping[str, str]) -> bool:
    """$PRIMUS_CLI_ALLOW_OVER_MEMORY=1: the user was asked (or said so) and launches anyway."""
    return env.get(ALLOW_ENV, "").strip().lower() in TRUE


def device(env: Mapping[str, str], gpu: str | None = None) -> tuple[str | None, str]:
    """(GPU kind or None for CPU, '' or why the check is skipped): GPUs seen but of no named kind."""
    kind = gpu or env.get(GPU_ENV) or None
    if kind:
        return kind, ""
    if probe_gpus(env).count:
        return None, f"GPUs visible but their kind is unknown (set {GPU_ENV}=mi300x, h100, ...)"
    return None, ""


def ranks(env: Mapping[str, str], single: bool) -> int:
    """Processes `primus-cli direct` starts on this node: 1 with --single, else GPUS_PER_NODE."""
    if single:
        return 1
    try:
        return resolve_dist_env(env).gpus_per_node
    except LaunchError:
        return 1


def check_values(values: Mapping[str, Any], *, env: Mapping[str, str], single: bool,
                 gpu: str | None = None, available: float | None = None) -> Verdict:
    kind, skip = device(env, gpu)
    if skip:
        return unchecked(skip)
    return verdict_for_experiment(values, ranks=ranks(env, single), gpu=kind, available=available)


def check_experiment(config: Path, root: Path | None, overrides: Sequence[str] = (), *,
                     env: Mapping[str, str], single: bool, gpu: str | None = None,
                     available: float | None = None) -> Verdict:
    """Resolve `config` in the tree at `root` (None: bundled) and check it (never raises)."""
    try:
        module = resolve_experiment(config, ConfigTree.at(root), cli_overrides=list(overrides)).module("pre_trainer")
    except (ConfigError, KeyError) as exc:
        return unchecked(one_line(exc))
    return check_values(module.values, env=env, single=single, gpu=gpu, available=available)


def refuse_line(verdict: Verdict) -> str:
    """The one line a launcher refuses with, naming the way to launch anyway."""
    return f"{verdict.message}; not launched (set {ALLOW_ENV}=1 to launch anyway)"
