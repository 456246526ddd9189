"""`python -m primus_tui.trainer.count_params`: the trainer's model size, checked against HF's own count."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from primus_tui.hf import map_config, param_count_from_fields, param_count_from_hf

REPO = Path(__file__).resolve().parents[2]
TINYLLAMA = REPO / "tests/fixtures/hf_configs/TinyLlama--TinyLlama-1.1B-Chat-v1.0/config.json"
TINY_CPU = {  # primus/configs/models/megatron/tiny_llama_cpu.yaml, as merged
    "num_layers": 2, "hidden_size": 64, "ffn_hidden_size": 176, "num_attention_heads": 4,
    "group_query_attention": True, "num_query_groups": 2, "normalization": "RMSNorm", "layernorm_epsilon": 1e-5,
    "swiglu": True, "position_embedding_type": "rope", "rotary_base": 10000,
    "untie_embeddings_and_output_weights": True, "add_bias_linear": False, "vocab_size": 512,
    "make_vocab_size_divisible_by": 128, "max_position_embeddings": 64,
}


def count(payload):
    proc = subprocess.run([sys.executable, "-m", "primus_tui.trainer.count_params"], input=json.dumps(payload),
                          capture_output=True, text=True, timeout=180, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_tinyllama_three_ways_and_the_tiny_cpu_model():
    hf = json.loads(TINYLLAMA.read_text())
    fields = map_config(hf).fields
    tinyllama, tiny, gpt2ish = count([fields, TINY_CPU, {**TINY_CPU, "vocab_size": 50257}])
    # 1) megatron-core GPTModel as the trainer builds it, 2) HF's module layout, 3) Megatron fields analytically
    assert tinyllama == {"total": 1_100_048_384, "padded_vocab_size": 32000}
    assert param_count_from_hf(hf).total == 1_100_048_384
    analytic = param_count_from_fields(fields)
    assert analytic.total + analytic.vocab_padding == 1_100_048_384 and analytic.vocab_padding == 0
    # the tiny CPU model the training tests run: the banner prints this same number
    assert tiny == {"total": 158_016, "padded_vocab_size": 512}
    assert gpt2ish["padded_vocab_size"] == 50304
    assert gpt2ish["total"] == 158_016 + 2 * 64 * (50304 - 512)


def test_single_object_in_single_object_out():
    assert count(TINY_CPU) == {"total": 158_016, "padded_vocab_size": 512}
