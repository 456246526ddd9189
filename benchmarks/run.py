"""`make bench`: run every benchmarks/bench_*.py in its own process and print its report.

Each bench script prints lines of the form `name: value unit (target ...) OK|SLOW`.
Exit status is non-zero only when a script crashes; targets are reported, not enforced.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = 0
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script)], cwd=HERE.parent)
        print(f"   ({time.perf_counter() - start:.1f} s)", flush=True)
        failed += proc.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
