"""HF import speed: `primus-tui import TinyLlama/TinyLlama-1.1B-Chat-v1.0 --print` from a cached config.

Builds an offline HF cache from the test fixture (real huggingface_hub layout), then times the
whole CLI process (interpreter start included, median of 7, target < 0.3 s) and checks that the
path imports neither torch nor megatron. Also times the in-process pieces and the megatron-core
parameter count subprocess (informational: it imports torch).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import populate_hf_cache  # noqa: E402

REPO = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"


def report(name: str, value: float, unit: str, target: float | None) -> None:
    if target is None:
        print(f"{name}: {value:.1f} {unit} (informational)")
    else:
        print(f"{name}: {value:.1f} {unit} (target < {target:g} {unit}) {'OK' if value < target else 'SLOW'}")


def median_wall(cmd: list[str], env: dict, runs: int = 7) -> float:
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        populate_hf_cache(Path(home) / "hub", [REPO])
        env = {**os.environ, "HF_HOME": home, "HF_HUB_OFFLINE": "1"}
        env.pop("HF_HUB_CACHE", None)
        wall = median_wall([sys.executable, "-m", "primus_tui", "import", REPO, "--print"], env)
        report(f"primus-tui import {REPO} --print (CLI wall, cached config, median of 7)", wall * 1000, "ms", 300)

        code = ("import io, sys; from primus_tui.cli import main; out = sys.stdout; sys.stdout = io.StringIO(); "
                f"main(['import', {REPO!r}, '--print']); sys.stdout = out; "
                "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'megatron', 'textual'}))")
        heavy = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True).stdout.strip()
        print(f"torch/megatron/textual imported by import --print: {heavy or '?'}")

        os.environ.update(HF_HOME=home, HF_HUB_OFFLINE="1")
        from primus_tui.config import ConfigTree
        from primus_tui.hf import (default_base, fetch_config, map_config, megatron_param_count,
                                   param_count_from_fields, param_count_from_hf, rank_bases, render_model_yaml)

        tree = ConfigTree.at(None)
        times = []
        for _ in range(7):
            start = time.perf_counter()
            cfg = fetch_config(REPO)
            mapping = map_config(cfg)
            base = default_base(rank_bases(mapping, tree, quick=True))
            render_model_yaml(mapping, base, tree, name="tinyllama_1.1B", hf=cfg)
            times.append((time.perf_counter() - start) * 1000)
        report("fetch + map + rank (quick) + render in-process (median of 7)", statistics.median(times), "ms", 50)
        start = time.perf_counter()
        rank_bases(mapping, tree)
        report("full base ranking over every bundled preset (warm file cache)", (time.perf_counter() - start) * 1000, "ms", None)

        hf_total = param_count_from_hf(cfg.data).total
        fields_count = param_count_from_fields(mapping.fields)
        start = time.perf_counter()
        built = megatron_param_count(mapping.fields)
        report("megatron-core GPTModel count on meta device (subprocess, imports torch)", time.perf_counter() - start, "s", None)
        print("TinyLlama parameters: " + json.dumps({"hf": hf_total, "megatron_fields": fields_count.total,
                                                     "megatron_core": built, "vocab_padding": fields_count.vocab_padding}))


if __name__ == "__main__":
    main()
