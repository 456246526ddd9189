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
import errno
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from primus_tui.files.errors import FileConflict, FileWriteError
from primus_tui.files.fsops import (
    STATE_DIR,
    exchange,
    fsync_dirs,
    inode,
    link_or_copy,
    mkdirs,
    prune,
    prune_tree,
    relative,
    signals_deferred,
    sweep,
    unlink,
    write_temp,
)
from primus_tui.files.journal import finished, remove_journal, undo, write_journal


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
    kept: tuple[int, int] | None = None  # the inode that was compared and backed up
    done: bool = False


@dataclass
class _Txn:
    root: Path
    staged: list[_Staged] = field(default_factory=list)
    dirs: list[Path] = field(default_factory=list)
    journal: Path | None = None
    backup_dir: Path | None = None
    current: Change | None = None  # the change being staged or swapped (named in the error)


def apply(changes: list[Change], root: Path) -> Applied:
    """Apply every change or none; raise FileConflict / FileWriteError (one line, saying what happened)."""
    if not changes:
        return Applied()
    txn = _Txn(root)
    with signals_deferred():  # SIGTERM / Ctrl-C act after the transaction, not between two swaps
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
            finished(txn.journal)
    fsync_dirs({s.change.path.parent for s in txn.staged})
    return Applied(tuple(s.change.shown for s in txn.staged),
                   tuple((s.change.shown, s.backup) for s in txn.staged if s.backup is not None))


def _stage(txn: _Txn, changes: list[Change]) -> None:
    """Temp files written and the journal on disk; no target touched yet."""
    for change in changes:
        txn.current = change
        _check_fresh(change)
        mkdirs(change.path.parent, txn.dirs)
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
                rel = Path(relative(s.change.path, txn.root))
                s.backup = txn.backup_dir / (rel if not rel.is_absolute() else rel.name)
    entries = [{"path": relative(s.change.path, txn.root), "temp": relative(s.temp, txn.root), "inode": list(s.inode),
                "backup": relative(s.backup, txn.root) if s.backup else None} for s in txn.staged]
    txn.current = Change(txn.root / STATE_DIR, "", None, f"{STATE_DIR}/ (the write journal)")
    txn.journal = write_journal(txn.root, entries, txn.backup_dir)


def _commit(txn: _Txn) -> None:
    """Back up what is replaced (and check it is what the plan saw), then swap each file in."""
    for s in txn.staged:
        txn.current = s.change
        if s.backup is not None:
            mkdirs(s.backup.parent, [])
            s.kept = link_or_copy(s.change.path, s.backup)
            if s.backup.read_bytes() != s.change.expect:
                raise FileConflict(f"{s.change.shown}: changed on disk after the plan was made; not replaced")
    for s in txn.staged:
        txn.current = s.change
        if s.backup is None:
            _create_exclusive(s.temp, s.change.path, s.change.shown)
        else:
            _swap_in(s)
        s.done = True
    remove_journal(txn.journal)
    ignore = txn.root / STATE_DIR / ".gitignore"
    if txn.backup_dir is not None and not ignore.exists():
        with contextlib.suppress(OSError):  # the backups stay out of the checkout's `git status`
            ignore.write_text("# primus-tui's journal and --force backups\n*\n")
    prune(txn.root / STATE_DIR, txn.root)


def _abort(txn: _Txn, exc: BaseException) -> str:
    """Undo what was done; the one-line message says exactly what the tree holds now."""
    undone, stuck = undo(txn.root, [(s.change.path, s.inode, s.backup, s.change.shown) for s in txn.staged
                                     if s.done])
    for s in txn.staged:
        unlink(s.temp)
        if s.backup is not None and not s.done:
            unlink(s.backup)
    if not stuck:
        remove_journal(txn.journal)
        if txn.backup_dir is not None:
            prune_tree(txn.backup_dir)
            prune(txn.backup_dir, txn.root / STATE_DIR)
        for d in reversed(txn.dirs):
            with contextlib.suppress(OSError):
                d.rmdir()
        prune(txn.root / STATE_DIR, txn.root)
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
        return f"{head}; already written and undone: {', '.join(undone)}; the tree is as before"
    return f"{head}; nothing was written"


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


def _swap_in(s: _Staged) -> None:
    """Replace the target with our temp; if what came out is not what was compared, put it back."""
    if not exchange(s.temp, s.change.path):
        os.replace(s.temp, s.change.path)  # no RENAME_EXCHANGE here: the compare just before must do
        return
    if inode(s.temp) != s.kept or s.temp.read_bytes() != s.change.expect:  # s.temp now names what we displaced
        exchange(s.temp, s.change.path)
        raise FileConflict(f"{s.change.shown}: changed on disk after the plan was made; not replaced")
    unlink(s.temp)


def _create_exclusive(temp: Path, path: Path, shown: str) -> None:
    """Put `temp` at `path` only if no file is there (link fails on an existing name; no window)."""
    try:
        os.link(temp, path)
    except FileExistsError:
        raise FileConflict(f"{shown}: was created by another writer after the plan was made; not replaced") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        try:  # no hard links here (some FUSE / FAT mounts): claim the name, then swap the content in
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            raise FileConflict(f"{shown}: was created by another writer after the plan was made; "
                               "not replaced") from None
        os.replace(temp, path)
        return
    unlink(temp)
