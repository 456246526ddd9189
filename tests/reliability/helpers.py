"""Helpers of the reliability suite (importable: conftest.py is not, from sub-folders)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.answers_support import TINY_EXP as EXPERIMENT, TINY_MODEL as MODEL
from tests.fixture_data import REPO_ROOT


def popen(*args: object, prelude: str = "") -> subprocess.Popen:
    """A real `primus-tui ARGS` process; `prelude` is Python run before the CLI (fault injection)."""
    code = f"import sys\n{prelude}\nfrom primus_tui.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def leftovers(root: Path) -> list[str]:
    """Temp files and journals of ours anywhere under root (backups are kept on purpose)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if ".primus-tui-" in p.name and p.name.endswith(".tmp") or p.name.startswith("journal-"))
