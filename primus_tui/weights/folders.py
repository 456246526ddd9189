"""Output folders of convert / export: refuse to replace without --force, build in a temp folder
next to the target, rename into place (pure: no torch, so a refusal needs no torch import)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from primus_tui.weights.errors import OverwriteRefused

TRACKER = "latest_checkpointed_iteration.txt"  # Megatron's; also in megatron_ckpt


def check_target(out: Path, force: bool) -> None:
    """Refuse to replace an existing checkpoint (or any non-empty folder, or a file) without --force."""
    if out.is_file():
        raise OverwriteRefused(f"{out}: exists and is a file")
    if out.is_dir() and any(out.iterdir()) and not force:
        what = "a checkpoint" if (out / TRACKER).is_file() else "a non-empty folder"
        raise OverwriteRefused(f"{out}: already holds {what}; pass --force to replace it")


def temp_next_to(out: Path, what: str) -> Path:
    """`.<name>.<what>-<pid>` beside `out`: same filesystem, so the final rename is atomic."""
    tmp = out.with_name(f".{out.name}.{what}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    return tmp


def place(tmp: Path, out: Path) -> None:
    """Rename the finished temp folder into place (an old one, with --force, is removed only after)."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
