"""Run the launched job as a process tree we can always tear down, teeing its output to a log.

- The child starts in its own session, so the terminal's Ctrl-C reaches only the launcher,
  which then decides: forward the signal to every descendant, wait `grace` seconds, SIGKILL
  whatever is left, exit 130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP: the terminal went away).
- torchrun puts each worker in a session of its own, so killing torchrun's process group is
  not enough: the launcher makes itself a child subreaper (Linux prctl) and walks /proc for
  its descendants (psutil), which then include workers orphaned by a crashed torchrun.
- The direct child gets PR_SET_PDEATHSIG=SIGTERM, so a SIGKILLed launcher still stops torchrun.
Only processes descending from this launcher are ever signalled, by pid.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import BinaryIO

from primus_tui.launch.result import RunResult

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


def _prctl(option: int, value: int) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def child_setup() -> None:  # runs in the child between fork and exec
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


_child_setup = child_setup


def stop_group(proc: subprocess.Popen, grace: float = 1.0) -> None:
    """SIGTERM then SIGKILL the process group `proc` leads (started with start_new_session)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        if sig == signal.SIGTERM:
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass


def _children(root_pid: int, *, zombies: bool) -> list[int]:
    """Descendants of `root_pid` (psutil: parents before children), live ones or only zombies."""
    import psutil  # a dependency; imported here so `primus_tui.launch` stays cheap to import

    try:
        found = psutil.Process(root_pid).children(recursive=not zombies)
    except psutil.Error:
        return []
    pids = []
    for child in found:
        try:
            is_zombie = child.status() == psutil.STATUS_ZOMBIE
        except psutil.Error:
            continue
        if is_zombie == zombies:
            pids.append(child.pid)
    return pids


def descendants(root_pid: int) -> list[int]:
    """Live (non-zombie) descendants of `root_pid`, parents before children."""
    return _children(root_pid, zombies=False)


def signal_all(pids: Sequence[int], sig: int) -> None:
    """Send `sig` to each pid, skipping those gone already or not ours."""
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _zombie_children() -> list[int]:
    return _children(os.getpid(), zombies=True)


def _reap_orphans(keep: frozenset[int]) -> None:
    """Collect exited orphans re-parented to us (subreaper), never `keep`: the main child (Popen owns
    it) and the host's own children (their owners wait for them)."""
    for pid in _zombie_children():
        if pid not in keep:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


class ProcessTree:
    """One launched job: start, stream, forward signals, clean up every descendant."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], *, grace: float = 10.0,
                 log: BinaryIO | None = None, out: BinaryIO | None = None) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.grace = grace
        self.log = log
        self.out = out if out is not None else sys.stdout.buffer
        self.proc: subprocess.Popen | None = None
        self.received: int | None = None
        self._killer: threading.Timer | None = None
        self._eof = threading.Event()  # the job's output pipe is closed
        self._before: frozenset[int] = frozenset()  # the host's own children (and theirs) before the job

    def _job(self) -> list[int]:
        """Our descendants that belong to the job: its tree plus orphans re-parented to us (subreaper),
        never processes the host had already started (a test runner's or library's helpers)."""
        return [pid for pid in descendants(os.getpid()) if pid not in self._before]

    def _kill_everything(self) -> None:
        signal_all(self._job(), signal.SIGKILL)

    def _on_signal(self, signum, _frame) -> None:
        if self.received is None:
            self.received = signum
            signal_all(self._job(), signum)
            self._killer = threading.Timer(self.grace, self._kill_everything)
            self._killer.daemon = True
            self._killer.start()
        else:  # a second Ctrl-C: no more waiting
            self._kill_everything()

    def _write(self, data: bytes) -> None:
        for stream in (self.out, self.log):
            if stream is None:
                continue
            try:
                stream.write(data)
                stream.flush()
            except (OSError, ValueError):
                pass

    def _watch_child(self) -> None:
        """Once the direct child exits the job is over: stragglers holding our pipe are stopped."""
        assert self.proc is not None
        self.proc.wait()
        if self._eof.wait(min(self.grace, 5.0)):
            return
        signal_all(self._job(), signal.SIGTERM)
        if not self._eof.wait(self.grace):
            self._kill_everything()

    def run(self) -> RunResult:
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        self._before = frozenset(descendants(os.getpid()))
        previous = {sig: signal.signal(sig, self._on_signal) for sig in SIGNAL_EXIT}
        try:
            self.proc = subprocess.Popen(
                self.argv, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_child_setup,
            )
            threading.Thread(target=self._watch_child, daemon=True).start()
            assert self.proc.stdout is not None
            fd = self.proc.stdout.fileno()
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                self._write(chunk)
            self._eof.set()
            returncode = self.proc.wait()
        finally:
            self._eof.set()
            self._cleanup()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return RunResult(returncode, cancelled=self.received is not None, signal=self.received)

    def _cleanup(self) -> None:
        """Nothing may outlive the launcher: TERM stragglers, then KILL after a short grace."""
        if self.proc is not None and self.proc.poll() is None:
            signal_all([self.proc.pid], signal.SIGTERM)
        if self._job():
            signal_all(self._job(), signal.SIGTERM)
            waiter = threading.Event()
            for _ in range(int(max(self.grace, 1.0) * 10)):
                if not self._job():
                    break
                waiter.wait(0.1)
            self._kill_everything()
        if self.proc is not None:
            try:
                self.proc.wait(timeout=max(self.grace, 1.0))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._killer is not None:
            self._killer.cancel()
        _reap_orphans(keep=self._before | {self.proc.pid if self.proc else -1})
