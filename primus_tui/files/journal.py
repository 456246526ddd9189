"""The journal of a transaction in flight, and the rollback of one whose owner died.

`.primus-tui/journal-<pid>-<rand>.json` is written (atomically) before the first target changes and
removed after the last; it names each target, the inode we put there, its temp file and its backup.
A run killed in between leaves it; `recover` (first thing of the next write) moves each backup back
over a target that still holds our inode and removes new files that are still ours, so the tree is
fully old again, and the rerun writes it fully new. Rolling back (not forward) is always possible:
the temps of files not yet swapped may be gone, the backups are not.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

from primus_tui.files.fsops import (
    STATE_DIR,
    alive,
    fsync_dirs,
    mkdirs,
    prune,
    prune_tree,
    relative,
    same,
    sweep,
    unlink,
    write_temp,
)

_JOURNAL = re.compile(r"journal-(\d+)-[0-9a-f]+\.json")
_ACTIVE: set[Path] = set()  # journals of transactions running in this process


def undo(root: Path, done: list[tuple[Path, tuple[int, int], Path | None, str]]) -> tuple[list[str], list[str]]:
    """Roll back targets that still hold our inode: the backup moves back, a new file is removed.

    Returns (what was undone, each "<file> (restored)" or "<file> (new, removed)"; what could not be).
    """
    undone, stuck = [], []
    for path, inode, backup, shown in reversed(done):
        try:
            st = os.stat(path)
        except FileNotFoundError:
            continue
        if (st.st_dev, st.st_ino) != inode:
            continue  # someone replaced it after us: theirs now, not ours to undo
        try:
            if backup is not None:
                os.replace(backup, path)
            else:
                os.unlink(path)
            undone.append(f"{shown} (restored)" if backup is not None else f"{shown} (new, removed)")
        except OSError:
            stuck.append(shown)
    return undone, stuck


def recover(root: Path, folders: list[Path] = ()) -> list[str]:
    """Roll back transactions whose owner died (SIGKILL, power loss) and sweep our stale temp files."""
    notes: list[str] = []
    state = root / STATE_DIR
    for journal in sorted(state.glob("journal-*.json")) if state.is_dir() else []:
        m = _JOURNAL.fullmatch(journal.name)
        if m is None or owned(journal, int(m.group(1))):
            continue
        try:
            data = json.loads(journal.read_text(encoding="utf-8"))
            entries = [(root / e["path"], tuple(e["inode"]), root / e["backup"] if e["backup"] else None, e["path"])
                       for e in data["entries"]]
            temps = [root / e["temp"] for e in data["entries"]]
        except (OSError, ValueError, KeyError, TypeError):
            notes.append(f"{relative(journal, root)}: unreadable journal of an interrupted write; left as it is")
            continue
        undone, stuck = undo(root, entries)
        for path, _, backup, _ in entries:
            if backup is not None and backup.exists() and path.exists() and same(path, backup):
                unlink(backup)  # killed before the swap: the original is still in place
        for temp in temps:
            unlink(temp)
        if stuck:
            notes.append(f"interrupted write of pid {m.group(1)}: cannot restore {', '.join(stuck)}")
            continue
        remove_journal(journal)
        if data.get("backup_dir"):
            prune_tree(root / data["backup_dir"])
            prune(root / data["backup_dir"], state)
        if undone:
            notes.append(f"an interrupted write (pid {m.group(1)}) was rolled back: {', '.join(undone)}")
    for folder in {*folders, state}:
        sweep(folder)
    prune(state, root)
    return notes


def pending(root: Path) -> list[Path]:
    """Journals of interrupted writes that `recover` would roll back."""
    state = root / STATE_DIR
    return [j for j in sorted(state.glob("journal-*.json")) if (m := _JOURNAL.fullmatch(j.name))
            and not owned(j, int(m.group(1)))] if state.is_dir() else []


def write_journal(root: Path, entries: list[dict], backup_dir: Path | None) -> Path:
    """Write the journal (temp + rename, fsynced) before any target changes; returns its path."""
    state = root / STATE_DIR
    mkdirs(state, [])
    journal = state / f"journal-{os.getpid()}-{secrets.token_hex(4)}.json"
    data = {"pid": os.getpid(), "entries": entries, "backup_dir": relative(backup_dir, root) if backup_dir else None}
    temp = write_temp(journal, json.dumps(data, indent=1).encode())
    _ACTIVE.add(journal)
    os.replace(temp, journal)
    fsync_dirs({state})
    return journal


def finished(journal: Path | None) -> None:
    """The transaction of `journal` is over (committed or aborted): `recover` may judge it now."""
    _ACTIVE.discard(journal)


def remove_journal(journal: Path | None) -> None:
    if journal is not None:
        unlink(journal)
        _ACTIVE.discard(journal)


def owned(journal: Path, pid: int) -> bool:
    """A journal still owned by a running transaction (ours in flight, or a live process's)."""
    return journal in _ACTIVE or (pid != os.getpid() and alive(pid))
