"""Small file operations the transaction is built from: our recognisable temp files, folders, pids.

Temp files are `.<name>.primus-tui-<pid>-<rand>.tmp`, opened O_EXCL with mode 0666 so the umask
applies (mkstemp's 0600 would hide a shared checkout's files from the team); `sweep` removes those
whose owner process is gone.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import secrets
import signal
from pathlib import Path

STATE_DIR = ".primus-tui"
_TEMP = re.compile(r"\..+\.primus-tui-(\d+)-[0-9a-f]+\.tmp")


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
        unlink(temp)
        raise
    os.close(fd)
    return temp


def link_or_copy(src: Path, dst: Path) -> tuple[int, int]:
    """Keep `src` at `dst` (a hard link: the exact old inode; a copy where links are not supported).

    Returns the (device, inode) of what was kept, so the swap can tell whether it displaced that file.
    """
    try:
        os.link(src, dst)
    except FileExistsError:
        raise
    except OSError:
        with open(src, "rb") as handle:
            st, data = os.fstat(handle.fileno()), handle.read()
        os.replace(write_temp(dst, data, st.st_mode & 0o7777), dst)
        return st.st_dev, st.st_ino
    st = os.stat(dst)
    return st.st_dev, st.st_ino


def inode(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


@functools.cache
def _renameat2():
    import ctypes  # only when a file is replaced

    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn


def exchange(a: Path, b: Path) -> bool:
    """Swap two names atomically (Linux `renameat2(RENAME_EXCHANGE)`); False where that is not supported.

    Why: with a plain rename, a file renamed onto the target between our compare and our swap would be
    lost. Exchanging first and then checking what came out closes that window.
    """
    fn = _renameat2()
    if fn is None:
        return False
    if fn(-100, os.fsencode(a), -100, os.fsencode(b), 2) == 0:  # AT_FDCWD, RENAME_EXCHANGE
        return True
    import ctypes

    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def mkdirs(folder: Path, created: list[Path]) -> None:
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


def prune(folder: Path, stop: Path) -> None:
    """Remove `folder` and its empty parents up to (not including) `stop`."""
    p = folder
    while p != stop and stop in p.parents:
        try:
            p.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            return
        p = p.parent
    if p == stop and stop.name == STATE_DIR:
        with contextlib.suppress(OSError):
            p.rmdir()


def same(a: Path, b: Path) -> bool:
    sa, sb = os.stat(a), os.stat(b)
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def prune_tree(folder: Path) -> None:
    """Remove the empty folders under and including `folder` (a rolled-back backup)."""
    for dirpath, _, _ in sorted(os.walk(folder), key=lambda w: -len(w[0])):
        with contextlib.suppress(OSError):
            os.rmdir(dirpath)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


@contextlib.contextmanager
def signals_deferred():
    """Hold SIGINT/SIGTERM/SIGHUP of this thread until the block ends (a transaction: milliseconds).

    Why: a SIGTERM between the two swaps would leave a torn tree for the journal to mend; deferred,
    the transaction ends whole (or rolled back) and the signal acts right after.
    """
    wanted = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    except (AttributeError, OSError, ValueError):
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def unlink(path: Path) -> None:
    """Best-effort removal of our own leftovers (never a reason to fail a write or a recovery)."""
    with contextlib.suppress(OSError):
        os.unlink(path)


def fsync_dirs(folders: set[Path]) -> None:
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


def sweep(folder: Path) -> None:
    """Remove our temp files in `folder` whose owner process is gone."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        m = _TEMP.fullmatch(name)
        if m is not None and not alive(int(m.group(1))):
            unlink(folder / name)
