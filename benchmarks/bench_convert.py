"""`primus-tui convert` throughput and peak memory on a synthetic 1.1B-shaped (TinyLlama) checkpoint.

Generates a random-free (constant-filled) bf16 safetensors checkpoint with TinyLlama-1.1B's
config and tensor names (2 shards + index, as `save_pretrained` writes them) in a temp folder,
then runs the real CLI in a subprocess: `primus-tui convert DIR --name bench_1b --dtype bf16`.
Reported: conversion throughput (GB of HF tensors read per second of the convert step itself,
and for the whole process incl. interpreter/torch start-up), and the peak RSS of the process
(ru_maxrss of the children), against the bound "peak <= model size in the target dtype + 2 GiB".

usage: python benchmarks/bench_convert.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONFIG = {  # TinyLlama/TinyLlama-1.1B-Chat-v1.0
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 2048, "intermediate_size": 5632,
    "num_hidden_layers": 22, "num_attention_heads": 32, "num_key_value_heads": 4, "vocab_size": 32000,
    "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": False,
    "hidden_act": "silu", "attention_bias": False, "mlp_bias": False, "torch_dtype": "bfloat16",
    "bos_token_id": 1, "eos_token_id": 2, "initializer_range": 0.02, "pretraining_tp": 1, "use_cache": True,
}
GIB = 1024**3


def shapes(c: dict) -> dict[str, tuple[int, ...]]:
    h, f, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    kv = c["num_key_value_heads"] * h // c["num_attention_heads"]
    out = {"model.embed_tokens.weight": (v, h)}
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out.update({p + "input_layernorm.weight": (h,), p + "post_attention_layernorm.weight": (h,),
                    p + "self_attn.q_proj.weight": (h, h), p + "self_attn.k_proj.weight": (kv, h),
                    p + "self_attn.v_proj.weight": (kv, h), p + "self_attn.o_proj.weight": (h, h),
                    p + "mlp.gate_proj.weight": (f, h), p + "mlp.up_proj.weight": (f, h),
                    p + "mlp.down_proj.weight": (h, f)})
    out.update({"model.norm.weight": (h,), "lm_head.weight": (v, h)})
    return out


def generate(folder: Path) -> int:
    """Write config.json + 2 bf16 shards + index; returns the bytes of tensors."""
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(CONFIG, indent=2))
    names = list(shapes(CONFIG).items())
    half = len(names) // 2
    weight_map, total = {}, 0
    for i, part in enumerate((names[:half], names[half:]), 1):
        file = f"model-{i:05d}-of-00002.safetensors"
        tensors = {n: torch.full(s, 0.01 * (k % 7 + 1), dtype=torch.bfloat16) for k, (n, s) in enumerate(part)}
        total += sum(t.numel() * 2 for t in tensors.values())
        save_file(tensors, str(folder / file), metadata={"format": "pt"})
        weight_map.update({n: file for n in tensors})
        del tensors
    (folder / "model.safetensors.index.json").write_text(json.dumps({"metadata": {"total_size": total},
                                                                      "weight_map": weight_map}))
    return total


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=Path, help="generate into / keep this folder")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-convert-", dir=args.keep))
    try:
        hf, out = tmp / "hf", tmp / "ckpt"
        t0 = time.perf_counter()
        model_bytes = generate(hf)
        print(f"generated: {model_bytes / 1e9:.2f} GB bf16 in {time.perf_counter() - t0:.1f} s", flush=True)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "primus_tui", "convert", str(hf), "--name", "bench_1b",
                               "--out", str(out), "--dtype", "bf16"], cwd=REPO, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode:
            sys.stderr.write(proc.stderr[-3000:])
            return 1
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux
        seconds = float(re.search(r" in ([0-9.]+) s ", proc.stderr)[1])
        writing = float(re.search(r"writing ([0-9.]+) s", proc.stderr)[1])
        written = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        bound = model_bytes + 2 * GIB
        print(f"convert step: {model_bytes / seconds / 1e9:.2f} GB/s ({model_bytes / 1e9:.2f} GB in {seconds:.1f} s; "
              f"read + convert + torch_dist write; the write {writing:.1f} s of it)")
        print(f"read + convert only: {model_bytes / max(seconds - writing, 1e-9) / 1e9:.2f} GB/s")
        print(f"whole process: {model_bytes / wall / 1e9:.2f} GB/s ({wall:.1f} s incl. interpreter, torch and "
              "megatron-core imports)")
        print(f"checkpoint written: {written / 1e9:.2f} GB")
        print(f"peak RSS: {peak / GIB:.2f} GiB (bound: model {model_bytes / GIB:.2f} GiB + 2 GiB = {bound / GIB:.2f} GiB) "
              f"{'OK' if peak <= bound else 'OVER'}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
