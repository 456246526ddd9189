"""Files as transactions: a plan's files change all together or not at all, and never over a stranger's.

Why: the model YAML and the experiment YAML only make sense together, and the tree is a user's
checkout that other writers (a second primus-tui, an editor) may touch between plan and write.

- A new file is claimed with `os.link(temp, path)`: it fails if the name appeared meanwhile.
- A replaced file must still hold the exact bytes the plan was made from; it is first hard-linked
  to `.primus-tui/backups/<stamp>-<pid>/<rel>` (kept: the `--force` backup), then swapped.
- Before the first target changes, a journal (`.primus-tui/journal-<pid>-<rand>.json`) records each
  target, the inode we put there and its backup. A SIGKILL leaves the journal; the next run's
  `recover` rolls the tree back to fully old (our inode removed or the backup moved back), and the
  rerun then writes it fully new. Temp files are `.<name>.primus-tui-<pid>-<rand>.tmp`; those of
  dead owners are swept.
- Temp files are opened with mode 0666 (the umask applies, as for any new file); a replaced file's
  temp takes the old file's mode.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from primus_tui.files.errors import FileConflict, FileWriteError

STATE_DIR = ".primus-tui"
_TEMP = re.compile(r"\..+\.primus-tui-(\d+)-[0-9a-f]+\.tmp")
_JOURNAL = re.compile(r"journal-(\d+)-[0-9a-f]+\.json")
_ACTIVE: set[Path] = set()  # journals of transactions running in this process


@dataclass(frozen=True)
class Change:
    """One target: `expect` None means "must not exist", else the exact bytes the plan saw."""

    path: Path
    content: str
    expect: bytes | None = None
    display: str = ""

    @property
    def shown(self) -> str:
        return self.display or str(self.path)


@dataclass(frozen=True)
class Applied:
    """What a transaction changed: files written, and where the old bytes of replaced files are kept."""

    written: tuple[str, ...] = ()
    backups: tuple[tuple[str, Path], ...] = ()


@dataclass
class _Staged:
    change: Change
    temp: Path
    inode: tuple[int, int]
    backup: Path | None = None
    done: bool = False


@dataclass
class _Txn:
    root: Path
    staged: list[_Staged] = field(default_factory=list)
    dirs: list[Path] = field(default_factory=list)
    journal: Path | None = None
    backup_dir: Path | None = None
    current: Change | None = None  # the change being staged or swapped (named in the error)


def temp_path(path: Path) -> Path:
    """A temp name next to `path` that `sweep` recognises as ours (and whose owner it can check)."""
    return path.with_name(f".{path.name}.primus-tui-{os.getpid()}-{secrets.token_hex(4)}.tmp")


def write_temp(path: Path, data: bytes, mode: int | None = None) -> Path:
    """Write `data` to a fresh temp file beside `path` (O_EXCL, fsynced); `mode` None follows the umask."""
    temp = temp_path(path)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink(temp)
        raise
    os.close(fd)
    return temp


def apply(changes: list[Change], root: Path) -> Applied:
    """Apply every change or none; raise FileConflict / FileWriteError (one line, saying what happened)."""
    txn = _Txn(root)
    try:
        _stage(txn, changes)
        _commit(txn)
    except BaseException as exc:
        message = _abort(txn, exc)
        if isinstance(exc, FileConflict):
            raise FileConflict(message) from None
        if isinstance(exc, (OSError, FileWriteError)):
            raise FileWriteError(message) from None
        raise
    finally:
        if txn.journal is not None:
            _ACTIVE.discard(txn.journal)
    _fsync_dirs({s.change.path.parent for s in txn.staged})
    return Applied(tuple(s.change.shown for s in txn.staged),
                   tuple((s.change.shown, s.backup) for s in txn.staged if s.backup is not None))


def _stage(txn: _Txn, changes: list[Change]) -> None:
    """Temp files written and the journal on disk; no target touched yet."""
    for change in changes:
        txn.current = change
        _check_fresh(change)
        _mkdirs(change.path.parent, txn.dirs)
        sweep(change.path.parent)
        mode = None if change.expect is None else os.stat(change.path).st_mode & 0o7777
        temp = write_temp(change.path, change.content.encode("utf-8"), mode)
        st = os.stat(temp)
        txn.staged.append(_Staged(change, temp, (st.st_dev, st.st_ino)))
    if any(s.change.expect is not None for s in txn.staged):
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        txn.backup_dir = txn.root / STATE_DIR / "backups" / f"{stamp}-{os.getpid()}-{secrets.token_hex(2)}"
        for s in txn.staged:
            if s.change.expect is not None:
                rel = Path(_rel(s.change.path, txn.root))
                s.backup = txn.backup_dir / (rel if not rel.is_absolute() else rel.name)
    _write_journal(txn)


def _commit(txn: _Txn) -> None:
    """Back up what is replaced (and check it is what the plan saw), then swap each file in."""
    for s in txn.staged:
        txn.current = s.change
        if s.backup is not None:
            _mkdirs(s.backup.parent, [])
            _link_or_copy(s.change.path, s.backup)
            if s.backup.read_bytes() != s.change.expect:
                raise FileConflict(f"{s.change.shown}: changed on disk after the plan was made; not replaced")
    for s in txn.staged:
        txn.current = s.change
        if s.backup is None:
            try:
                os.link(s.temp, s.change.path)
            except FileExistsError:
                raise FileConflict(f"{s.change.shown}: was created by another writer after the plan was made; "
                                    "not replaced") from None
            _unlink(s.temp)
        else:
            os.replace(s.temp, s.change.path)
        s.done = True
    _remove_journal(txn.journal)
    ignore = txn.root / STATE_DIR / ".gitignore"
    if txn.backup_dir is not None and not ignore.exists():
        with contextlib.suppress(OSError):  # the backups stay out of the checkout's `git status`
            ignore.write_text("# primus-tui's journal and --force backups\n*\n")
    _prune(txn.root / STATE_DIR, txn.root)


def _abort(txn: _Txn, exc: BaseException) -> str:
    """Undo what was done; the one-line message says exactly what the tree holds now."""
    undone, stuck = _undo(txn.root, [(s.change.path, s.inode, s.backup, s.change.shown) for s in txn.staged
                                     if s.done])
    for s in txn.staged:
        _unlink(s.temp)
        if s.backup is not None and not s.done:
            _unlink(s.backup)
    if not stuck:
        _remove_journal(txn.journal)
        if txn.backup_dir is not None:
            _prune_tree(txn.backup_dir)
            _prune(txn.backup_dir, txn.root / STATE_DIR)
        for d in reversed(txn.dirs):
            with contextlib.suppress(OSError):
                d.rmdir()
        _prune(txn.root / STATE_DIR, txn.root)
    where = txn.current.shown if txn.current is not None else "target"
    if isinstance(exc, (FileConflict, FileWriteError)):
        head = str(exc)
    elif isinstance(exc, OSError):
        head = f"{where}: cannot write ({exc.strerror or type(exc).__name__})"
    else:
        head = f"interrupted ({type(exc).__name__})"
    if stuck:
        return (f"{head}; {', '.join(stuck)} could not be restored: the next run of primus-tui rolls it back "
                f"(journal in {STATE_DIR}/)")
    if undone:
        return f"{head}; {', '.join(undone)} had been written and was restored, so the tree is as before"
    return f"{head}; nothing was written"


def _undo(root: Path, done: list[tuple[Path, tuple[int, int], Path | None, str]]) -> tuple[list[str], list[str]]:
    """Roll back targets that still hold our inode: the backup moves back, a new file is removed."""
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
            undone.append(shown)
        except OSError:
            stuck.append(shown)
    return undone, stuck


def recover(root: Path, folders: list[Path] = ()) -> list[str]:
    """Roll back transactions whose owner died (SIGKILL, power loss) and sweep our stale temp files."""
    notes: list[str] = []
    state = root / STATE_DIR
    for journal in sorted(state.glob("journal-*.json")) if state.is_dir() else []:
        m = _JOURNAL.fullmatch(journal.name)
        if m is None or _owned(journal, int(m.group(1))):
            continue
        try:
            data = json.loads(journal.read_text(encoding="utf-8"))
            entries = [(root / e["path"], tuple(e["inode"]), root / e["backup"] if e["backup"] else None, e["path"])
                       for e in data["entries"]]
            temps = [root / e["temp"] for e in data["entries"]]
        except (OSError, ValueError, KeyError, TypeError):
            notes.append(f"{_rel(journal, root)}: unreadable journal of an interrupted write; left as it is")
            continue
        undone, stuck = _undo(root, entries)
        for path, _, backup, _ in entries:
            if backup is not None and backup.exists() and path.exists() and _same(path, backup):
                _unlink(backup)  # killed before the swap: the original is still in place
        for temp in temps:
            _unlink(temp)
        if stuck:
            notes.append(f"interrupted write of pid {m.group(1)}: cannot restore {', '.join(stuck)}")
            continue
        _remove_journal(journal)
        if data.get("backup_dir"):
            _prune_tree(root / data["backup_dir"])
            _prune(root / data["backup_dir"], state)
        if undone:
            notes.append(f"an interrupted write (pid {m.group(1)}) was rolled back: {', '.join(undone)} restored "
                         "to what it was before")
    for folder in {*folders, state}:
        sweep(folder)
    _prune(state, root)
    return notes


def pending(root: Path) -> list[Path]:
    """Journals of interrupted writes that `recover` would roll back."""
    state = root / STATE_DIR
    return [j for j in sorted(state.glob("journal-*.json")) if (m := _JOURNAL.fullmatch(j.name))
            and not _owned(j, int(m.group(1)))] if state.is_dir() else []


def sweep(folder: Path) -> None:
    """Remove our temp files in `folder` whose owner process is gone."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        m = _TEMP.fullmatch(name)
        if m is not None and not _alive(int(m.group(1))):
            _unlink(folder / name)


# ---- helpers -------------------------------------------------------------------------------------

def _check_fresh(change: Change) -> None:
    """Fail early (nothing written) when the disk no longer matches the plan."""
    try:
        current = change.path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        current = None
    except IsADirectoryError:
        raise FileWriteError(f"{change.shown}: is a directory") from None
    if change.expect is None and current is not None:
        raise FileConflict(f"{change.shown}: was created by another writer after the plan was made; not replaced")
    if change.expect is not None and current != change.expect:
        raise FileConflict(f"{change.shown}: " + ("was removed" if current is None else "changed on disk")
                            + " after the plan was made; not replaced")


def _write_journal(txn: _Txn) -> None:
    state = txn.root / STATE_DIR
    _mkdirs(state, [])
    entries = [{"path": _rel(s.change.path, txn.root), "temp": _rel(s.temp, txn.root), "inode": list(s.inode),
                "backup": _rel(s.backup, txn.root) if s.backup else None} for s in txn.staged]
    journal = state / f"journal-{os.getpid()}-{secrets.token_hex(4)}.json"
    temp = write_temp(journal, json.dumps({"pid": os.getpid(), "entries": entries,
                                                  "backup_dir": _rel(txn.backup_dir, txn.root) if txn.backup_dir else None}, indent=1).encode())
    _ACTIVE.add(journal)
    os.replace(temp, journal)
    txn.journal = journal
    _fsync_dirs({state})


def _remove_journal(journal: Path | None) -> None:
    if journal is not None:
        _unlink(journal)
        _ACTIVE.discard(journal)


def _link_or_copy(src: Path, dst: Path) -> None:
    """A hard link keeps the exact old inode (mode, bytes); a copy where links are not supported."""
    try:
        os.link(src, dst)
    except FileExistsError:
        raise
    except OSError:
        temp = write_temp(dst, src.read_bytes(), os.stat(src).st_mode & 0o7777)
        os.replace(temp, dst)


def _mkdirs(folder: Path, created: list[Path]) -> None:
    missing: list[Path] = []
    p = folder
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir()
            created.append(d)


def _prune(folder: Path, stop: Path) -> None:
    """Remove `folder` and its empty parents up to (not including) `stop`."""
    p = folder
    while p != stop and stop in p.parents:
        try:
            p.rmdir()
        except OSError:
            return
        p = p.parent
    if p == stop and stop.name == STATE_DIR:
        with contextlib.suppress(OSError):
            p.rmdir()


def _same(a: Path, b: Path) -> bool:
    sa, sb = os.stat(a), os.stat(b)
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def _owned(journal: Path, pid: int) -> bool:
    """A journal still owned by a running transaction (ours in flight, or a live process's)."""
    return journal in _ACTIVE or (pid != os.getpid() and _alive(pid))


def _prune_tree(folder: Path) -> None:
    """Remove the empty folders under and including `folder` (a rolled-back backup)."""
    for dirpath, _, _ in sorted(os.walk(folder), key=lambda w: -len(w[0])):
        with contextlib.suppress(OSError):
            os.rmdir(dirpath)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        os.unlink(path)


def _fsync_dirs(folders: set[Path]) -> None:
    for folder in folders:
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)
