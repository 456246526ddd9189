"""Resolve speed: in-process per bundled experiment (< 50 ms) and `primus-tui resolve` wall (< 0.3 s)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from primus_tui.config import resolve_experiment  # noqa: E402
from primus_tui.config.yamlfile import parse_text  # noqa: E402 - the parse cache, cleared for cold runs


def report(name: str, value: float, unit: str, target: float) -> None:
    verdict = "OK" if value < target else "SLOW"
    print(f"{name}: {value:.1f} {unit} (target < {target:g} {unit}) {verdict}")


def main() -> None:
    exps = sorted((ROOT / "examples" / "megatron" / "configs").rglob("*.yaml"))
    for exp in exps:
        cold = []
        for _ in range(5):
            parse_text.cache_clear()
            start = time.perf_counter()
            resolve_experiment(exp)
            cold.append((time.perf_counter() - start) * 1000)
        report(f"resolve {exp.relative_to(ROOT)} (in-process, cold cache, median of 5)", statistics.median(cold), "ms", 50)

    exp = exps[0]
    walls = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "primus_tui", "resolve", str(exp)], cwd=ROOT, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
    report(f"primus-tui resolve {exp.name} (CLI wall, median of 5)", statistics.median(walls) * 1000, "ms", 300)
    code = "import sys, primus_tui.cli as c; c.main(['resolve', sys.argv[1]]); print(any(m.split('.')[0] in ('torch','megatron') for m in sys.modules))"
    heavy = subprocess.run([sys.executable, "-c", code, str(exp)], cwd=ROOT, capture_output=True, text=True).stdout.split()[-1]
    print(f"torch/megatron imported by resolve: {heavy}")


if __name__ == "__main__":
    main()
