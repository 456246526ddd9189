"""Trainer throughput through ./primus-cli itself (the numbers a user sees), read back with logparse.

CPU (always): the tiny llama-style model, one process and two gloo ranks under torchrun.
GPU (when a GPU is visible, or with --gpu): TinyLlama-1.1B, seq 2048, bf16 with fp32 master
weights, mock data, 20 iterations on one GPU -- the issue's H100 check. Without a GPU the
command is printed so it can be run by hand on a GPU machine.

usage: python benchmarks/bench_trainer.py [--gpu | --cpu-only] [--mbs 8] [--gbs 64]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from primus_tui.launch.logparse import parse_log  # noqa: E402

TINY = REPO / "examples/megatron/configs/CPU/tiny_llama-pretrain.yaml"
TINYLLAMA = REPO / "examples/megatron/configs/MI300X/tinyllama_1.1B-pretrain.yaml"
H100_BF16_PEAK_TFLOPS = 989.0
WARMUP = 3  # iterations left out of the medians


def gpu_command(mbs: int, gbs: int, iters: int = 20) -> list[str]:
    return [str(REPO / "primus-cli"), "direct", "--", "train", "pretrain", "--config", str(TINYLLAMA),
            f"train_iters={iters}", "lr_warmup_iters=2", f"micro_batch_size={mbs}", f"global_batch_size={gbs}",
            "log_interval=1", "mock_data=true"]


def run(argv: list[str], env: dict[str, str], timeout: float = 900) -> tuple[int, str, float, float | None]:
    """(exit code, log text, wall seconds, seconds until the first iteration line)."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "run.log"
        argv = argv[:2] + ["--log_file", str(log)] + argv[2:]
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        first = None
        while proc.poll() is None:
            if first is None and log.exists() and " iteration " in log.read_text(errors="replace"):
                first = time.perf_counter() - start
            if time.perf_counter() - start > timeout:
                proc.terminate()
            time.sleep(0.05)
        wall = time.perf_counter() - start
        text = log.read_text(errors="replace") if log.exists() else ""
        if proc.returncode:
            sys.stderr.write(proc.stderr.read() if proc.stderr else "")
        return proc.returncode, text, wall, first


def report(name: str, value: float, unit: str, target: str | None = None, ok: bool | None = None) -> None:
    verdict = "" if ok is None else (" OK" if ok else " SLOW")
    tgt = f" (target {target})" if target else ""
    print(f"{name}: {value:,.1f} {unit}{tgt}{verdict}", flush=True)


def summarize(label: str, text: str, wall: float, first: float | None) -> list:
    steps = parse_log(text)
    timed = [s for s in steps if s.iteration > WARMUP] or steps
    ms = statistics.median(s.elapsed_ms for s in timed)
    tokens = statistics.median(s.tokens_per_sec for s in timed)
    report(f"{label} median iteration", ms, "ms")
    report(f"{label} tokens/s/GPU (median)", tokens, "tokens/s")
    if first is not None:
        report(f"{label} launch to first iteration", first, "s", "< 20 s", first < 20)
    report(f"{label} wall time", wall, "s")
    print(f"{label} lm loss: {steps[0].lm_loss:.4f} -> {steps[-1].lm_loss:.4f} over {len(steps)} iterations",
          flush=True)
    return steps


def cpu(env: dict[str, str]) -> int:
    env = {**env, "OMP_NUM_THREADS": env.get("OMP_NUM_THREADS", "1"), "CUDA_VISIBLE_DEVICES": ""}
    base = [str(REPO / "primus-cli"), "direct"]
    primus = ["--", "train", "pretrain", "--config", str(TINY), "train_iters=30", "lr_decay_iters=30"]
    code, text, wall, first = run(base + ["--single"] + primus, env)
    if code:
        print(f"cpu single process: FAILED (exit {code})")
        return 1
    steps = summarize("cpu 1 process", text, wall, first)
    report("cpu loss drop", steps[0].lm_loss - steps[-1].lm_loss, "nats", "> 1.0", steps[0].lm_loss - steps[-1].lm_loss > 1.0)
    code, text, wall, first = run(base + primus, {**env, "GPUS_PER_NODE": "2", "MASTER_PORT": "29581"})
    if code:
        print(f"cpu torchrun 2 ranks: FAILED (exit {code})")
        return 1
    summarize("cpu 2 ranks (gloo)", text, wall, first)
    return 0


def gpu(env: dict[str, str], mbs: int, gbs: int) -> int:
    argv = gpu_command(mbs, gbs)
    print(f"gpu command: {shlex.join(argv)}", flush=True)
    code, text, wall, first = run(argv, env)
    if code:
        print(f"gpu run: FAILED (exit {code})")
        return 1
    steps = summarize(f"gpu TinyLlama-1.1B mbs {mbs} gbs {gbs}", text, wall, first)
    timed = [s for s in steps if s.iteration > WARMUP] or steps
    tokens = statistics.median(s.tokens_per_sec for s in timed)
    tflops = statistics.median(s.tflops_per_gpu for s in timed)
    report("gpu tokens/s", tokens, "tokens/s", ">= 61,000", tokens >= 61_000)
    report("gpu MFU vs 989 TFLOP/s", 100 * tflops / H100_BF16_PEAK_TFLOPS, "%", ">= 45 (stretch 55)",
           tflops / H100_BF16_PEAK_TFLOPS >= 0.45)
    return 0


def has_gpu() -> bool:
    if shutil.which("nvidia-smi") is None:
        return False
    out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, check=False).stdout
    return "GPU " in out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gpu", action="store_true", help="run the GPU check even if no GPU is detected")
    ap.add_argument("--cpu-only", action="store_true")
    ap.add_argument("--mbs", type=int, default=8)
    ap.add_argument("--gbs", type=int, default=64)
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("GPUS_PER_NODE", "MASTER_PORT", "PRIMUS_TUI_FAULT")}
    failed = 0
    if not args.gpu:
        failed += cpu(env)
    if args.gpu or (not args.cpu_only and has_gpu()):
        failed += gpu(env, args.mbs, args.gbs)
    else:
        print(f"gpu check skipped (no GPU); on a GPU machine run: {shlex.join(gpu_command(args.mbs, args.gbs))}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
