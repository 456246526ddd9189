"""One progress line on stderr for long tensor loops: tensors, bytes, rate, ETA (pure Python)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import TextIO


def _gb(n: float) -> str:
    return f"{n / 1e9:.2f} GB"


@dataclass
class Progress:
    """Redraws in place on a terminal (`\\r`), else prints a line at most every `every` seconds."""

    what: str
    total_tensors: int
    total_bytes: int
    out: TextIO = field(default_factory=lambda: sys.stderr)
    every: float = 0.25
    tensors: int = 0
    bytes: int = 0
    started: float = field(default_factory=time.perf_counter)
    _shown: float = 0.0

    @property
    def tty(self) -> bool:
        return bool(getattr(self.out, "isatty", lambda: False)())

    def line(self) -> str:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        rate = self.bytes / elapsed
        left = max(self.total_bytes - self.bytes, 0)
        eta = f"{left / rate:.0f} s" if rate > 0 and self.bytes else "?"
        return (f"primus-tui: {self.what}: {self.tensors}/{self.total_tensors} tensors, {_gb(self.bytes)}/"
                f"{_gb(self.total_bytes)}, {rate / 1e9:.2f} GB/s, ETA {eta}")

    def advance(self, nbytes: int) -> None:
        self.tensors += 1
        self.bytes += nbytes
        now = time.perf_counter()
        if now - self._shown >= (self.every if self.tty else max(self.every, 5.0)):
            self._shown = now
            self._show()

    def _show(self) -> None:
        if self.tty:
            self.out.write("\r" + self.line() + "\033[K")
        else:
            self.out.write(self.line() + "\n")
        self.out.flush()

    def done(self) -> float:
        """Final line; returns the elapsed seconds."""
        self._show()
        if self.tty:
            self.out.write("\n")
        return time.perf_counter() - self.started
