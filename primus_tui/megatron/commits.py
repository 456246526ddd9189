"""Which commits a source tree is at: a git checkout's HEAD, or the Megatron-LM pin of a Primus checkout.

Only a folder that is itself a git work tree (has `.git`) is asked, so a preset tree copied
under some unrelated repository never reports that repository's commit.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

MEGATRON_SUBMODULE = "third_party/Megatron-LM"
SHA = re.compile(r"^[0-9a-f]{40}$")


def _git(path: Path, *args: str) -> str | None:
    if not (path / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def head_commit(path: Path) -> str | None:
    """HEAD of the git work tree at `path` (a submodule checkout counts), else None."""
    sha = _git(path, "rev-parse", "HEAD")
    return sha if sha and SHA.fullmatch(sha) else None


def pinned_megatron(primus_root: Path) -> str | None:
    """The Megatron-LM commit a Primus checkout's HEAD pins (its gitlink), else None."""
    line = _git(primus_root, "ls-tree", "HEAD", MEGATRON_SUBMODULE) or ""
    parts = line.split()
    return parts[2] if len(parts) >= 3 and parts[1] == "commit" and SHA.fullmatch(parts[2]) else None


def megatron_commit(primus_root: Path) -> str | None:
    """The Megatron-LM a Primus checkout runs: the checked-out submodule, else the pin."""
    return head_commit(primus_root / MEGATRON_SUBMODULE) or pinned_megatron(primus_root)
