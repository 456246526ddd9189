"""Planner speed: full enumeration for Llama-3.1-70B on 2 x 8 MI300X, seq 8192, GBS 128 (< 200 ms)."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from primus_tui.config import resolve_experiment  # noqa: E402
from primus_tui.megatron.registry import load_registry  # noqa: E402
from primus_tui.plan import Cluster, gpu_kind, plan_from_values  # noqa: E402
from primus_tui.trainer.arch import _validate_args, megatron_args  # noqa: E402


def main() -> None:
    import tempfile
    exp = ROOT / "examples" / "megatron" / "configs" / "MI300X" / "llama3.1_8B-BF16-pretrain.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "llama3.1_70B-pretrain.yaml"
        path.write_text(exp.read_text().replace("llama3.1_8B.yaml", "llama3.1_70B.yaml"))
        args = megatron_args(resolve_experiment(path).module("pre_trainer").values, load_registry())
    _validate_args(args)
    cluster = Cluster(2, 8, gpu_kind("mi300x"))
    times = []
    for _ in range(7):
        start = time.perf_counter()
        result = plan_from_values(args, cluster)
        times.append((time.perf_counter() - start) * 1000)
    value = statistics.median(times)
    print(f"plan Llama-3.1-70B 2x8 MI300X ({result.considered} layouts, median of 7): {value:.1f} ms "
          f"(target < 200 ms) {'OK' if value < 200 else 'SLOW'}")
    print(f"first choice: {result.plans[0].layout.short()}")


if __name__ == "__main__":
    main()
