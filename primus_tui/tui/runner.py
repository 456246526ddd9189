"""Run one `primus-cli` process for the UI: stream its output, save the log, stop its process group.

Runs inside an async Textual worker (same event loop as the UI), so `on_lines` may touch widgets;
lines are split and cleaned by the core (`primus_tui.launch.split_lines`).
"""

from __future__ import annotations

import asyncio
import codecs
import os
import signal
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

READ_SIZE = 64 * 1024
TERM_GRACE_S = 5.0
TAIL_LINES = 12


@dataclass
class RunResult:
    """How a run ended: exit code (None if it never started), whether the user cancelled it."""

    returncode: int | None
    cancelled: bool = False
    error: str = ""
    tail: list[str] = field(default_factory=list)
    log_path: Path | None = None
    lines: int = 0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.cancelled and not self.error


class ProcessRun:
    """One launched process; `run()` returns when it exits, `cancel()` stops its whole group."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
        on_lines: Callable[[list[str]], None] = lambda lines: None,
    ) -> None:
        self.argv = [str(a) for a in argv]
        self.cwd = Path(cwd)
        self.env = dict(os.environ if env is None else env)
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.log_path = log_path
        self.on_lines = on_lines
        self.proc: asyncio.subprocess.Process | None = None
        self.cancelled = False
        self._tail: deque[str] = deque(maxlen=TAIL_LINES)
        self._count = 0

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def run(self) -> RunResult:
        from primus_tui.launch import split_lines

        try:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            return RunResult(None, error=f"cannot start {self.argv[0]}: {exc.strerror or exc}", log_path=self.log_path)
        log = None
        try:
            if self.log_path is not None:
                self.log_path.parent.mkdir(parents=True, exist_ok=True)
                log = open(self.log_path, "wb")  # noqa: SIM115 - closed in finally
            decoder = codecs.getincrementaldecoder("utf-8")("replace")
            rest = ""
            assert self.proc.stdout is not None
            while chunk := await self.proc.stdout.read(READ_SIZE):
                if log is not None:
                    log.write(chunk)
                lines, rest = split_lines(rest + decoder.decode(chunk))
                if lines:
                    self._deliver(lines)
                await asyncio.sleep(0)  # a fast writer must not starve key handling
            tail, _ = split_lines(rest + decoder.decode(b"", final=True) + "\n")
            if tail and tail != [""]:
                self._deliver(tail)
            returncode = await self.proc.wait()
        finally:
            if log is not None:
                log.close()
            if self.proc.returncode is None:
                await self.stop()
        return RunResult(returncode, self.cancelled, "", list(self._tail), self.log_path, self._count)

    def _deliver(self, lines: list[str]) -> None:
        self._count += len(lines)
        self._tail.extend(line for line in lines[-TAIL_LINES:] if line.strip())
        self.on_lines(lines)

    def cancel(self) -> None:
        """Ask the whole process group to stop (SIGTERM now, SIGKILL after a grace period)."""
        self.cancelled = True
        self._signal(signal.SIGTERM)
        asyncio.get_running_loop().create_task(self._kill_later())

    async def _kill_later(self) -> None:
        proc = self.proc
        if proc is None:
            return
        try:
            await asyncio.wait_for(proc.wait(), TERM_GRACE_S)
        except asyncio.TimeoutError:
            self._signal(signal.SIGKILL)

    async def stop(self) -> None:
        """Stop the group and wait for the leader (used when the worker itself is cancelled)."""
        self.cancelled = True
        self._signal(signal.SIGTERM)
        if self.proc is None:
            return
        try:
            await asyncio.wait_for(self.proc.wait(), TERM_GRACE_S)
        except asyncio.TimeoutError:
            self._signal(signal.SIGKILL)
            await self.proc.wait()

    def _signal(self, sig: signal.Signals) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)  # start_new_session: pgid == pid
        except (ProcessLookupError, PermissionError):
            pass
