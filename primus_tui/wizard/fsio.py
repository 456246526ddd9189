"""Atomic writes of files the user named outright (the answers file): temp file, then `os.replace`.

Every temp file is written (and fsynced) before any is renamed, so a failure part-way
(read-only folder, full disk, a file where a folder should be) leaves the tree as it was.
Files of a plan go through `primus_tui.files` instead (exclusive create, compare, backup).
"""

from __future__ import annotations

import os
from pathlib import Path

from primus_tui.wizard.errors import WriteFailed
from primus_tui.files import sweep, write_temp
from primus_tui.files.fsops import mkdirs, relative


def write_files_atomic(items: list[tuple[Path, str]], root: Path | None = None) -> None:
    """Write `(path, text)` pairs, each replaced whole (one pair: all or nothing; the answers file)."""
    temps: list[tuple[Path, Path]] = []
    created: list[Path] = []
    current: Path | None = None
    done: list[Path] = []
    try:
        for path, text in items:
            current = path
            if path.is_dir():
                raise IsADirectoryError(21, "is a directory")
            mkdirs(path.parent, created)
            sweep(path.parent)
            mode = (path.stat().st_mode & 0o7777) if path.exists() else None  # None: the umask decides
            temps.append((write_temp(path, text.encode("utf-8"), mode), path))
        for tmp, path in temps:
            current = path
            os.replace(tmp, path)
            done.append(path)
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
        where = (relative(current, root) if root else str(current)) if current is not None else "target"
        said = f"{', '.join(relative(d, root) if root else str(d) for d in done)} already replaced" if done else "nothing was written"
        raise WriteFailed(f"{where}: cannot write ({reason}); {said}") from None
