"""`primus-tui resolve` reports dead keys with the file:line that set them; bad choices exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LLAMA = "examples/megatron/configs/MI300X/llama3.1_8B-BF16-pretrain.yaml"
EXAMPLES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "examples/megatron/configs").rglob("*.yaml"))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "primus_tui", "resolve", *args], capture_output=True, text=True, cwd=ROOT)


def norm_epsilon_line(path: str) -> int | None:
    for number, line in enumerate((ROOT / path).read_text().splitlines(), 1):
        if line.strip().startswith("norm_epsilon:"):
            return number
    return None


@pytest.mark.parametrize("example", EXAMPLES)
def test_examples_resolve_and_name_norm_epsilon(example: str) -> None:
    out = run(example)
    assert out.returncode == 0, out.stderr
    line = norm_epsilon_line(example)
    if line is not None:
        assert f"inert: norm_epsilon (overrides @ {example}:{line}): only model_type deepseek_v4" in out.stderr


def test_liveness_json_lists_dead_keys_with_sources() -> None:
    out = run(LLAMA, "--liveness", "--format", "json", "micro_batch_szie=2")
    data = json.loads(out.stdout)
    dead = {d["key"]: d for d in data["dead_keys"]}
    assert dead["norm_epsilon"]["status"] == "inert" and dead["norm_epsilon"]["source"]["line"] == norm_epsilon_line(LLAMA)
    assert dead["rope_scaling_factor"]["source"]["file"].startswith("primus/configs/models/megatron/")
    assert dead["micro_batch_szie"]["suggestion"] == "micro_batch_size" and dead["micro_batch_szie"]["source"]["kind"] == "cli"
    assert data["liveness"]["hidden_size"]["status"] == "network" and data["liveness"]["lr"]["status"] == "run"
    assert data["registry"]["megatron_lm_commit"].startswith("d3528a2")


def test_show_source_marks_dead_keys() -> None:
    out = run(LLAMA, "--show-source")
    lines = {line.split(":", 1)[0]: line for line in out.stdout.splitlines()}
    assert "[inert: gpt_builder does not pass it; GPTModel uses 8.0]" in lines["rope_scaling_factor"]
    assert "[inert:" not in lines["hidden_size"]
    data = json.loads(run(LLAMA, "--show-source", "--format", "json").stdout)
    assert data["norm_epsilon"]["liveness"]["status"] == "inert" and data["norm_epsilon"]["value"] == 1e-06


def test_value_outside_choices_is_one_line_exit_2() -> None:
    out = run(LLAMA, "normalization=rmsnorm")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == [
        "primus-tui: error: CLI override: normalization: 'rmsnorm' is not one of LayerNorm, RMSNorm "
        "(Megatron --normalization)"
    ]
