"""Headless wizard run: answers -> HF config from a warm offline cache -> files -> resolve check.

`primus-tui --answers examples/answers/tinyllama_1.1B.yaml --primus-root <copy>` with `launch: none`,
timed as a whole process (interpreter start included), files created each time. Target: < 0.5 s.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.conftest import populate_hf_cache  # noqa: E402

TARGET_S = 0.5
OUTPUTS = ("primus/configs/models/megatron/tinyllama_1.1B.yaml",
           "examples/megatron/configs/MI300X/tinyllama_1.1B-pretrain.yaml")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-headless-") as tmp:
        tmp_path = Path(tmp)
        populate_hf_cache(tmp_path / "hf_home" / "hub")
        root = tmp_path / "primus_root"
        shutil.copytree(REPO / "primus", root / "primus")
        shutil.copytree(REPO / "examples", root / "examples")
        env = {**os.environ, "HF_HOME": str(tmp_path / "hf_home"), "HF_HUB_OFFLINE": "1"}
        env.pop("HF_HUB_CACHE", None)
        argv = [sys.executable, "-m", "primus_tui", "--answers", str(REPO / "examples/answers/tinyllama_1.1B.yaml"),
                "--primus-root", str(root)]
        times = []
        for _ in range(7):
            for rel in OUTPUTS:
                (root / rel).unlink(missing_ok=True)
            start = time.perf_counter()
            proc = subprocess.run(argv, env=env, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            if proc.returncode != 0:
                print(proc.stdout + proc.stderr, file=sys.stderr)
                return 1
        wall = statistics.median(times)
        status = "OK" if wall < TARGET_S else "SLOW"
        print(f"headless run, cached HF config, launch none (median of {len(times)}): "
              f"{wall * 1000:.0f} ms (target < {TARGET_S * 1000:.0f} ms) {status}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
