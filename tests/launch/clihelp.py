"""Run the real ./primus-cli in a subprocess with a controlled environment; find its leftover processes."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PRIMUS_CLI = REPO / "primus-cli"
TINY_EXP = REPO / "examples/megatron/configs/CPU/tiny_llama-pretrain.yaml"
TRAIN = ["train", "pretrain", "--config", str(TINY_EXP)]
MARK = "PRIMUS_TEST_RUN"
STRIP = ("NNODES", "NODE_RANK", "GPUS_PER_NODE", "MASTER_ADDR", "MASTER_PORT", "SLURM_JOB_ID", "PRIMUS_TUI_FAULT",
         "CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "PYTHONPATH")


def cli_env(**extra: str) -> dict[str, str]:
    """Deterministic: this interpreter, 1 OpenMP thread, no GPU, short kill grace, a unique run mark."""
    env = {k: v for k, v in os.environ.items() if k not in STRIP}
    env.update(PRIMUS_PYTHON=sys.executable, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="", PRIMUS_CLI_KILL_GRACE="5")
    env[MARK] = uuid.uuid4().hex
    env.update(extra)
    return env


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 180, **env: str) -> subprocess.CompletedProcess:
    full_env = cli_env(**env)
    proc = subprocess.run([str(PRIMUS_CLI), *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout)
    proc.mark = full_env[MARK]  # type: ignore[attr-defined]
    return proc


def processes_with_mark(mark: str) -> list[int]:
    """Live processes whose environment carries `mark` (a /proc scan: no psutil, no pgrep by name)."""
    found = []
    needle = f"{MARK}={mark}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        found.append(int(entry))
    return found
