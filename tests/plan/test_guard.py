"""plan.guard: the pre-launch memory verdict, with numbers and the smallest change that fits."""

from __future__ import annotations

from pathlib import Path

import pytest

from primus_tui.config import ConfigTree, resolve_experiment
from primus_tui.launch.memcheck import allowed, check_experiment, device, refuse_line
from primus_tui.plan.gpus import GIB
from primus_tui.plan.guard import RANK_OVERHEAD_GIB, check, verdict_for_experiment
from primus_tui.megatron.registry import load_registry
from primus_tui.trainer.arch import _validate_args, megatron_args

ROOT = Path(__file__).resolve().parents[2]
TINYLLAMA = ROOT / "examples/megatron/configs/MI300X/tinyllama_1.1B-pretrain.yaml"
TINY_CPU = ROOT / "examples/megatron/configs/CPU/tiny_llama-pretrain.yaml"
LAPTOP = 23 * GIB  # the laptop: 21 GB used of 23 GB in 100 s, no iteration


def values(path: Path, *overrides: str) -> dict:
    return resolve_experiment(path, ConfigTree.at(None), cli_overrides=list(overrides)).module("pre_trainer").values


def args(path: Path, *overrides: str) -> dict:
    a = megatron_args(values(path, *overrides), load_registry())
    _validate_args(a)
    return a


def test_tiny_cpu_example_fits_a_laptop() -> None:
    v = verdict_for_experiment(values(TINY_CPU), available=LAPTOP)
    assert v.fits and not v.blocks and v.device == "CPU"
    assert v.message.startswith("CPU: needs ~") and v.message.endswith(": fits")


def test_tinyllama_on_a_laptop_is_refused_with_numbers_and_a_change_that_fits() -> None:
    v = verdict_for_experiment(values(TINYLLAMA), available=LAPTOP)
    assert v.blocks and v.need_bytes > LAPTOP and v.available_bytes == LAPTOP
    assert "23.0 GiB available" in v.message and "smallest change that fits:" in v.message
    assert v.change and all(token in v.message for token in v.overrides())
    # the change really fits: the same experiment with those overrides passes
    fixed = verdict_for_experiment(values(TINYLLAMA, *v.overrides()), available=LAPTOP)
    assert fixed.fits, fixed.message


def test_model_too_big_for_any_change_says_so() -> None:
    v = verdict_for_experiment(values(TINYLLAMA), available=8 * GIB)
    assert v.blocks and v.change is None
    assert "weights, grads and optimizer alone need" in v.message


def test_shorter_sequence_is_offered_when_no_layout_knob_is_enough() -> None:
    a = args(TINY_CPU, "seq_length=262144", "max_position_embeddings=262144", "micro_batch_size=8",
             "global_batch_size=8")
    v = check(a, available=1.5 * GIB)
    assert v.blocks and v.change and v.change["seq_length"] < 262144, v.message
    assert check({**a, **v.change}, available=1.5 * GIB).fits


def test_every_cpu_rank_counts_against_the_same_ram() -> None:
    a = args(TINYLLAMA)
    one, four = check(a, ranks=1, available=LAPTOP), check(a, ranks=4, available=LAPTOP)
    overhead = RANK_OVERHEAD_GIB * GIB
    # DP 4 shards the optimizer (9 instead of 18 bytes a parameter), every rank still holds weights + grads
    assert four.need_bytes - 4 * overhead > 2 * (one.need_bytes - overhead)
    assert "4 ranks" in four.message


def test_gpu_kind_is_sized_per_gpu() -> None:
    a = args(TINYLLAMA)
    v = check(a, ranks=8, gpu="mi300x")
    assert v.fits and v.device == "MI300X" and v.available_bytes == 192 * GIB


def test_unsizeable_experiment_never_blocks() -> None:
    v = check({"num_layers": 2}, available=LAPTOP)
    assert not v.checked and not v.blocks and v.message.startswith("memory not checked:")


def test_launcher_side_device_and_bypass() -> None:
    assert device({"PRIMUS_TUI_GPU": "h100"}) == ("h100", "")
    kind, why = device({"CUDA_VISIBLE_DEVICES": "0,1"})
    assert kind is None and "PRIMUS_TUI_GPU" in why
    assert allowed({"PRIMUS_CLI_ALLOW_OVER_MEMORY": "1"}) and not allowed({})
    v = check_experiment(TINYLLAMA, None, env={"CUDA_VISIBLE_DEVICES": ""}, single=True, available=LAPTOP)
    assert v.blocks and refuse_line(v).endswith("(set PRIMUS_CLI_ALLOW_OVER_MEMORY=1 to launch anyway)")


def test_primus_cli_refuses_in_one_line_and_can_be_told(tmp_path: Path) -> None:
    import os
    import subprocess

    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "PRIMUS_CLI_KILL_GRACE": "1"}
    argv = [str(ROOT / "primus-cli"), "direct", "--single", "--log_file", str(tmp_path / "run.log"), "--",
            "train", "pretrain", "--config", str(TINYLLAMA), "seq_length=65536", "max_position_embeddings=65536",
            "micro_batch_size=8", "global_batch_size=8"]
    res = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and res.stderr.count("\n") == 1, res.stderr
    assert res.stderr.startswith("primus-cli: error: CPU: needs ~") and "not launched" in res.stderr
    assert not (tmp_path / "run.log").exists()
