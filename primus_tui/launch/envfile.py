"""`primus-cli direct --env FILE`: the variables a bash env file sets, as Primus's runner sources it.

Primus's runner runs `source FILE` in bash with the variables exported, so a file may use any
bash it likes (`export`, `${HOME}`, conditionals). We let bash itself evaluate the file in a
child process and keep the variables whose value it added or changed.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path

from primus_tui.launch.errors import LaunchError
from primus_tui.launch.process import child_setup, stop_group

TIMEOUT_S = 60.0

_SOURCE = 'set -a; . "$1" >&2 || exit 97; env -0'
_BASH_ONLY = {"_", "SHLVL", "PWD", "OLDPWD", "BASH_EXECUTION_STRING"}


def _parse_env0(raw: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in raw.split(b"\0"):
        if b"=" in item:
            key, value = item.split(b"=", 1)
            out[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
    return out


def load_env_file(path: str | Path, base: Mapping[str, str], timeout: float | None = None) -> dict[str, str]:
    """Variables FILE sets or changes on top of `base`; LaunchError (exit 2) naming the file otherwise."""
    file = Path(path)
    if not file.is_file():
        raise LaunchError(f"--env {path}: no such env file (use --env KEY=VALUE or an existing file)")
    limit = TIMEOUT_S if timeout is None else timeout
    try:
        # own process group + parent-death signal: whatever the file starts (`sleep 300`, a daemon)
        # is stopped with it, on timeout, on our exit, and if we are SIGKILLed
        proc = subprocess.Popen(["bash", "-c", _SOURCE, "primus-cli-env", str(file.resolve())], env=dict(base),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True, preexec_fn=child_setup)
    except FileNotFoundError:
        raise LaunchError(f"--env {path}: bash is needed to read env files", exit_code=1) from None
    try:
        stdout, stderr = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        stop_group(proc)
        raise LaunchError(f"--env {path}: sourcing the env file did not finish within {limit:g} s") from None
    finally:
        stop_group(proc)  # background leftovers of the file die too; never signals anything else
    if proc.returncode != 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        reason = lines[-1] if lines else f"bash exited {proc.returncode}"
        raise LaunchError(f"--env {path}: the env file failed to source: {reason}")
    after = _parse_env0(stdout)
    return {k: v for k, v in after.items() if k not in _BASH_ONLY and base.get(k) != v}
