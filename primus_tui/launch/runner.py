"""The one way primus-tui runs `primus-cli` (headless and the TUI): a process group we can always stop.

- The child starts in its own session (pgid == pid) with PR_SET_PDEATHSIG=SIGTERM
  (`process.child_setup`), so neither the terminal's Ctrl-C nor our own death leaves it running.
- Output (stdout + stderr) is read in chunks of up to 1 MiB (the pipe enlarged to match: with the
  UI thread busy, every read pays a GIL hand-off, so fewer, larger reads), split into display lines by the core
  (`logparse.split_lines`: ANSI stripped, `\\r` resolved) and handed to `on_lines`; the raw bytes
  go to the log file, flushed once per read, ending on a line break, so `tail -f` follows the run.
- `cancel()` (thread-safe) sends SIGTERM to the group and to every descendant psutil finds
  (torchrun gives each worker a session of its own), then SIGKILL after `grace` seconds. After a
  cancel, lines still go to the log file but no longer to `on_lines`: the torchrun traceback a
  SIGTERM provokes stays in the file, the screen shows one line (`RunResult.summary`).
`run()` blocks: the TUI calls it in a thread, headless in the main thread (`run_foreground`
turns SIGINT/SIGTERM/SIGHUP into a cancel).
"""

from __future__ import annotations

import codecs
import os
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from primus_tui.launch.logparse import split_lines
from primus_tui.launch.process import SIGNAL_EXIT, child_setup, descendants, signal_all
from primus_tui.launch.result import RunResult

READ_SIZE = 1024 * 1024
PIPE_SIZE = 1024 * 1024  # F_SETPIPE_SZ: a flooding child fills 1 MiB between our reads, not 64 KiB
F_SETPIPE_SZ = 1031  # Linux fcntl
TERM_GRACE_S = 5.0
TAIL_LINES = 12


class GroupRun:
    """One launched command: `run()` streams it to the end, `cancel()` stops its whole tree."""

    def __init__(self, argv: Sequence[str], *, cwd: Path | str | None = None, env: Mapping[str, str] | None = None,
                 log_path: Path | None = None, on_lines: Callable[[list[str]], None] | None = None,
                 grace: float = TERM_GRACE_S) -> None:
        self.argv = [str(a) for a in argv]
        self.cwd = Path(cwd) if cwd is not None else None
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.log_path = log_path
        self.on_lines = on_lines or (lambda lines: None)
        self.grace = grace
        self.proc: subprocess.Popen | None = None
        self.cancelled = False
        self.signal: int | None = None
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._count = 0
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._killer: threading.Timer | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and not self._done.is_set()

    def start(self) -> str:
        """Start the child; '' or a one-line reason it could not start."""
        try:
            self.proc = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=child_setup,
            )
        except OSError as exc:
            self._done.set()
            return f"cannot start {self.argv[0]}: {exc.strerror or exc}"
        return ""

    def run(self) -> RunResult:
        error = self.start() if self.proc is None else ""
        if error:
            return RunResult(None, error=error, log_path=self.log_path)
        assert self.proc is not None and self.proc.stdout is not None
        _enlarge_pipe(self.proc.stdout.fileno())
        log = _open_log(self.log_path)
        try:
            self._pump(self.proc.stdout.fileno(), log)
            returncode = self.proc.wait()
        finally:
            if log is not None:
                log.close()
            self.proc.stdout.close()
            if self.proc.poll() is None:
                self.stop()
            self._done.set()
            if self._killer is not None:
                self._killer.cancel()
        return RunResult(returncode, self.cancelled, "", list(self._tail), self.log_path, self._count, self.signal)

    def _pump(self, fd: int, log: BinaryIO | None) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        rest, pending = "", b""
        while chunk := os.read(fd, READ_SIZE):
            if log is not None:
                cut = chunk.rfind(b"\n") + 1  # the file gets whole lines as they complete
                if cut:
                    log.write(pending + chunk[:cut])
                    log.flush()
                    pending = chunk[cut:]
                else:
                    pending += chunk
            lines, rest = split_lines(rest + decoder.decode(chunk))
            if lines:
                self._deliver(lines)
        if log is not None and pending:
            log.write(pending)
            log.flush()
        tail, _ = split_lines(rest + decoder.decode(b"", final=True) + "\n")
        if tail and tail != [""]:
            self._deliver(tail)

    def _deliver(self, lines: list[str]) -> None:
        self._count += len(lines)
        if self.cancelled:
            return  # what a cancel provokes (torchrun's SignalException traceback) stays in the log file
        self._tail.extend(line for line in lines[-TAIL_LINES:] if line.strip())
        self.on_lines(lines)

    def cancel(self, sig: int = signal.SIGTERM) -> None:
        """Stop the whole tree: `sig` now, SIGKILL after `grace`; a second cancel kills at once."""
        with self._lock:
            first = not self.cancelled
            self.cancelled = True
            if self.signal is None:
                self.signal = sig
        if self.proc is None or self._done.is_set():
            return
        if not first:
            self._signal_tree(signal.SIGKILL)
            return
        self._signal_tree(sig)
        self._killer = threading.Timer(self.grace, self._signal_tree, (signal.SIGKILL,))
        self._killer.daemon = True
        self._killer.start()

    def stop(self) -> None:
        """Cancel and wait for the leader (the caller is going away)."""
        self.cancel()
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=self.grace + 1)
        except subprocess.TimeoutExpired:
            self._signal_tree(signal.SIGKILL)
            self.proc.wait()

    def _signal_tree(self, sig: int) -> None:
        if self.proc is None:
            return
        pids = descendants(self.proc.pid) if self.proc.poll() is None else []
        try:
            os.killpg(self.proc.pid, sig)  # start_new_session: pgid == pid
        except (ProcessLookupError, PermissionError):
            pass
        signal_all(pids, sig)


def _enlarge_pipe(fd: int) -> None:
    try:
        import fcntl

        fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE)
    except (ImportError, OSError):  # not Linux, or above /proc/sys/fs/pipe-max-size: keep 64 KiB
        pass


def _open_log(path: Path | None) -> BinaryIO | None:
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    return open(path, "ab")  # noqa: SIM115 - closed by run()


@contextmanager
def cancel_on_signals(run: GroupRun) -> Iterator[None]:
    """While `run` streams in the foreground: SIGINT / SIGTERM / SIGHUP cancel it (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, lambda signum, _frame: run.cancel(signum)) for sig in SIGNAL_EXIT}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_foreground(run: GroupRun) -> RunResult:
    """`run.run()` with terminal signals turned into a cancel of the whole group (headless)."""
    with cancel_on_signals(run):
        return run.run()
