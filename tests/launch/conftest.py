"""Helpers to run the real ./primus-cli in a subprocess with a controlled environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRIMUS_CLI = REPO / "primus-cli"
TINY_EXP = REPO / "examples/megatron/configs/CPU/tiny_llama-pretrain.yaml"
STRIP = ("NNODES", "NODE_RANK", "GPUS_PER_NODE", "MASTER_ADDR", "MASTER_PORT", "SLURM_JOB_ID", "PRIMUS_TUI_FAULT",
         "CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "PYTHONPATH")


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in STRIP}
    env.update(PRIMUS_PYTHON=sys.executable, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="", PRIMUS_CLI_KILL_GRACE="5")
    env.update(extra)
    return env


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(PRIMUS_CLI), *args], cwd=cwd, env=cli_env(**env), capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def cli():
    return run_cli
