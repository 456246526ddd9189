"""An experiment's top-level `env:` block, applied to each rank's environment as Primus's train
runtime does (`TrainRuntime._apply_config_env`).

Read from the experiment file itself (not its `extends`), values stringified and `$VAR`/`${VAR}`
expanded with `os.path.expandvars`; it wins over the inherited environment. Best effort, like
Primus: a malformed block prints a warning and never stops the run. Runs before torch is
imported so variables such as OMP_NUM_THREADS or NCCL_* take effect.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

TAG = "[Primus:Runtime]"


def apply_config_env(config: Path, environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set the experiment's `env:` variables; returns what was set."""
    environ = os.environ if environ is None else environ
    applied: dict[str, str] = {}
    try:
        import yaml

        if not config.is_file():
            return applied
        raw = yaml.safe_load(config.read_text()) or {}
        block = raw.get("env") if isinstance(raw, dict) else None
        if not block:
            return applied
        if not isinstance(block, dict):
            print(f"{TAG} Ignoring non-mapping top-level `env:` in {config.name} (type={type(block).__name__})",
                  flush=True)
            return applied
        for key, value in block.items():
            resolved = os.path.expandvars(str(value))
            environ[str(key)] = applied[str(key)] = resolved
            if os.environ.get("RANK", "0") == "0":
                print(f"{TAG} env override: {key}={resolved}", flush=True)
    except Exception as exc:  # noqa: BLE001 - as in Primus, env overrides never abort a run
        print(f"{TAG} WARNING: could not apply top-level `env:` from config: {exc}", flush=True)
    return applied
