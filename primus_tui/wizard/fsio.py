"""Atomic, all-or-nothing writes: temp files in the target folders, then `os.replace`.

Every temp file is written (and fsynced) before any is renamed, so a failure part-way
(read-only folder, full disk, a file where a folder should be) leaves the tree as it was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from primus_tui.wizard.errors import WriteFailed


def _umask() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    old = os.umask(0o022)  # not thread-safe; only where /proc is missing
    os.umask(old)
    return old


def _mkdirs(folder: Path, created: list[Path]) -> None:
    missing: list[Path] = []
    p = folder
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        d.mkdir()
        created.append(d)


def _where(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def write_files_atomic(items: list[tuple[Path, str]], root: Path | None = None) -> None:
    """Write `(path, text)` pairs: every file is replaced whole, or none is touched."""
    temps: list[tuple[str, Path]] = []
    created: list[Path] = []
    current: Path | None = None
    mask = _umask()
    try:
        for path, text in items:
            current = path
            if path.is_dir():
                raise IsADirectoryError(21, "is a directory")
            _mkdirs(path.parent, created)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            temps.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            mode = (path.stat().st_mode & 0o7777) if path.exists() else (0o666 & ~mask)
            os.chmod(tmp, mode)
        for tmp, path in temps:
            current = path
            os.replace(tmp, path)
    except OSError as exc:
        for tmp, _ in temps:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        for d in reversed(created):
            try:
                d.rmdir()
            except OSError:
                pass
        reason = exc.strerror or type(exc).__name__
        where = _where(current, root) if current is not None else "target"
        raise WriteFailed(f"{where}: cannot write ({reason}); nothing was written") from None
