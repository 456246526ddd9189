"""How a run ended: one type for both runners (`runner.GroupRun`: the front ends -> primus-cli;
`process.ProcessTree`: primus-cli -> the trainer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RunResult:
    """How a run ended: exit code (None if it never started), whether it was cancelled."""

    returncode: int | None
    cancelled: bool = False
    error: str = ""
    tail: list[str] = field(default_factory=list)  # last non-blank lines before any cancel
    log_path: Path | None = None
    lines: int = 0
    signal: int | None = None  # the signal that cancelled it (headless: the one we received)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.cancelled and not self.error

    @property
    def exit_code(self) -> int:
        """What a shell would report: 127 when it never started, 128+N for a cancel by signal N."""
        if self.returncode is None:
            return 127
        if self.returncode < 0:
            return 128 - self.returncode
        return self.returncode

    @property
    def summary(self) -> str:
        """One line: `cancelled, exit 143` / `finished, exit 0` / `failed, exit 1` / `did not start: ...`."""
        if self.error:
            return f"did not start: {self.error}"
        if self.cancelled:
            return f"cancelled, exit {self.exit_code}"
        return f"{'finished' if self.exit_code == 0 else 'failed'}, exit {self.exit_code}"
