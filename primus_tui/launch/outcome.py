"""Turn what the launched job left behind into Primus's exit code and one line of explanation.

torchrun exits 1 for any worker failure, so each trainer rank records its own exit code in
a status folder (`$PRIMUS_TUI_STATUS_DIR/rank<R>.json`); a rank without a status file died
without Python cleanup (SIGKILL, segfault, OOM killer).
"""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass
from pathlib import Path

from primus_tui.launch.process import SIGNAL_EXIT
from primus_tui.launch.result import RunResult

OK, MISSING_DEPENDENCY, INVALID, RUNTIME = 0, 1, 2, 3


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    message: str  # empty on success


def read_statuses(folder: Path | None) -> dict[int, dict]:
    statuses: dict[int, dict] = {}
    if folder is None or not folder.is_dir():
        return statuses
    for path in folder.glob("rank*.json"):
        try:
            data = json.loads(path.read_text())
            statuses[int(data["rank"])] = data
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return statuses


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def decide(result: RunResult, *, world_size: int, status_dir: Path | None) -> Outcome:
    if result.signal is not None:
        name = signal.Signals(result.signal).name
        return Outcome(SIGNAL_EXIT[result.signal], f"interrupted by {name}: stopped every rank")
    if result.returncode == 0:
        return Outcome(OK, "")
    statuses = read_statuses(status_dir)
    # 130/143: a rank stopped by torchrun or by us after someone else failed; never the cause
    failed = {r: s for r, s in statuses.items() if s.get("exit_code") not in (0, 130, 143, None)}

    def first_with(code: int) -> dict | None:
        hits = [s for s in failed.values() if s.get("exit_code") == code]
        return min(hits, key=lambda s: s["rank"]) if hits else None

    for code in (MISSING_DEPENDENCY, INVALID):  # the same on every rank: the real cause
        hit = first_with(code)
        if hit:
            return Outcome(code, str(hit.get("message") or f"rank {hit['rank']} failed"))
    if result.returncode < 0:
        return Outcome(RUNTIME, f"the launched process was killed by {_signal_name(result.returncode)}")
    silent = sorted(set(range(world_size)) - set(statuses))
    if silent and world_size > 0:  # a hard crash (SIGKILL, segfault, OOM) is the root cause
        ranks = ", ".join(str(r) for r in silent)
        return Outcome(RUNTIME, f"rank {ranks} died without reporting (killed or crashed); all ranks were stopped")
    hit = first_with(RUNTIME)
    if hit:
        return Outcome(RUNTIME, str(hit.get("message") or f"rank {hit['rank']} failed"))
    return Outcome(RUNTIME, f"training exited with code {result.returncode}")
