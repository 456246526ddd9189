"""Merged Megatron args -> training settings and GPTModel architecture (pure Python, no torch)."""

from __future__ import annotations

import pytest

from primus_tui.trainer.arch import architecture, padded_vocab_size
from primus_tui.trainer.errors import UnsupportedConfig
from primus_tui.trainer.settings import TrainSettings

BASE = {"train_iters": 10, "micro_batch_size": 2, "global_batch_size": 8, "seq_length": 64, "lr": 1e-3}
LLAMA = {
    "num_layers": 2, "hidden_size": 64, "num_attention_heads": 4, "ffn_hidden_size": 176,
    "group_query_attention": True, "num_query_groups": 2, "normalization": "RMSNorm", "layernorm_epsilon": 1e-6,
    "swiglu": True, "position_embedding_type": "rope", "rotary_base": 500000, "use_rope_scaling": True,
    "rope_scaling_factor": 32.0, "untie_embeddings_and_output_weights": True, "vocab_size": 500,
    "make_vocab_size_divisible_by": 128, "max_position_embeddings": 64, "seq_length": 64,
}


def test_megatron_derivations():
    s = TrainSettings.from_values(BASE)
    assert (s.lr_decay_iters, s.lr_warmup_iters, s.lr_decay_style, s.min_lr) == (10, 0, "linear", 0.0)
    assert s.num_microbatches(1) == 4 and s.num_microbatches(2) == 2 and s.num_microbatches(4) == 1
    s = TrainSettings.from_values({**BASE, "lr_warmup_fraction": 0.3, "lr_decay_iters": 20})
    assert (s.lr_decay_iters, s.lr_warmup_iters) == (20, 6)
    s = TrainSettings.from_values({**BASE, "train_iters": None, "train_samples": 800})
    assert s.train_iters == 100


@pytest.mark.parametrize(
    "change, key",
    [
        ({"lr": None}, "lr"),
        ({"train_iters": 0}, "train_iters"),
        ({"seq_length": "long"}, "seq_length"),
        ({"lr_warmup_iters": 10}, "lr_warmup_iters"),
        ({"min_lr": 1.0}, "min_lr"),
        ({"lr_decay_style": "WSD"}, "lr_decay_style"),
        ({"optimizer": "sgd"}, "optimizer"),
        ({"micro_batch_size": 2.5}, "micro_batch_size"),
    ],
)
def test_bad_settings_name_the_key(change, key):
    with pytest.raises(UnsupportedConfig) as err:
        TrainSettings.from_values({**BASE, **change})
    assert err.value.key == key and err.value.exit_code == 2


def test_batch_that_does_not_split():
    with pytest.raises(UnsupportedConfig) as err:
        TrainSettings.from_values(BASE).num_microbatches(3)
    assert err.value.key == "global_batch_size"


def test_llama_architecture():
    arch = architecture(LLAMA)
    c = arch.config
    assert (c["num_layers"], c["hidden_size"], c["num_query_groups"], c["layernorm_epsilon"]) == (2, 64, 2, 1e-6)
    assert (arch.activation, arch.gated, arch.head_dim, arch.num_query_groups) == ("silu", True, 16, 2)
    assert (arch.vocab_size, arch.padded_vocab_size, arch.tied_embeddings) == (500, 512, False)
    # gpt_builder passes use_rope_scaling but not rope_scaling_factor: GPTModel always uses 8.0
    assert (arch.rotary_base, arch.rope_scaling, arch.rope_scaling_factor) == (500000, True, 8.0)
    # without group_query_attention, Megatron ignores num_query_groups (MHA)
    assert architecture({**LLAMA, "group_query_attention": False}).num_query_groups == 4
    # a tokenizer's vocabulary wins over the config's vocab_size
    assert architecture(LLAMA, vocab_size=32000).padded_vocab_size == 32000


def test_only_keys_megatron_reads_reach_the_network():
    """norm_epsilon is no Megatron dest (the dest of --norm-epsilon is layernorm_epsilon), so
    core_transformer_config_from_args never copies it: real Primus trains with 1e-5."""
    values = {k: v for k, v in LLAMA.items() if k != "layernorm_epsilon"}
    assert architecture({**values, "norm_epsilon": 1e-6}).config["layernorm_epsilon"] == 1e-5
    # validate_args: SwiGLU without ffn_hidden_size gets int(4h * 2/3 / 64) * 64, not 4h
    values = {k: v for k, v in LLAMA.items() if k != "ffn_hidden_size"}
    assert architecture({**values, "hidden_size": 256}).config["ffn_hidden_size"] == 640
    assert architecture({**values, "swiglu": False}).config["ffn_hidden_size"] == 256
    # argparse defaults apply where the YAML is silent (Megatron's hidden_dropout default is 0.1)
    assert architecture(LLAMA).config["hidden_dropout"] == 0.1
    assert architecture({**LLAMA, "num_experts": 4}).config["moe_ffn_hidden_size"] == 176


def test_vocab_padding_follows_megatron():
    assert padded_vocab_size(32000, 128) == 32000
    assert padded_vocab_size(50257, 128) == 50304
    assert padded_vocab_size(151936, 128, 2) == 152064  # 256-multiple with TP 2


def test_moe_fields_are_mapped():
    arch = architecture({**LLAMA, "num_experts": 4, "moe_router_topk": 2, "moe_ffn_hidden_size": 32,
                         "moe_grouped_gemm": True})
    assert arch.is_moe and arch.config["num_moe_experts"] == 4 and arch.config["moe_ffn_hidden_size"] == 32
    assert any("moe_grouped_gemm" in w for w in arch.warnings)


def test_moe_layer_pattern_shared_gate_and_window_are_passed_on():
    moe = {**LLAMA, "num_experts": 4, "moe_router_topk": 2, "moe_shared_expert_intermediate_size": 32,
           "moe_shared_expert_gate": True}
    for freq, flags in ((1, [1, 1]), (2, [1, 0]), ([0, 1], [0, 1]), ("([0]*1+[1]*1)", [0, 1])):
        assert architecture({**moe, "moe_layer_freq": freq}).config["moe_layer_freq"] == flags
    assert architecture(moe).config["moe_shared_expert_gate"] is True
    arch = architecture({**LLAMA, "window_size": [15, 0], "window_attn_skip_freq": "[1,0]"})
    assert arch.config["window_size"] == (15, 0) and arch.config["window_attn_skip_freq"] == [1, 0]
    assert architecture(LLAMA).config.get("window_size") is None


@pytest.mark.parametrize(
    "change, key",
    [
        ({"tensor_model_parallel_size": 2}, "tensor_model_parallel_size"),
        ({"pipeline_model_parallel_size": 2}, "pipeline_model_parallel_size"),
        ({"hybrid_layer_pattern": "M*"}, "hybrid_layer_pattern"),
        ({"max_position_embeddings": 32}, "max_position_embeddings"),
        ({"fp16": True}, "fp16"),
        ({"model_type": "mamba"}, "model_type"),
        ({"num_query_groups": 3}, "num_query_groups"),
        ({"num_attention_heads": 5}, "num_attention_heads"),
        ({"normalization": "ScaleNorm"}, "normalization"),
        ({"position_embedding_type": "yarn"}, "position_embedding_type"),
        ({"rotary_percent": 0.0}, "rotary_percent"),
        ({"num_layers": None}, "num_layers"),
        ({"squared_relu": True}, "squared_relu"),
        ({"reset_attention_mask": True}, "reset_attention_mask"),
        ({"num_experts": 4, "moe_layer_freq": [0, 1, 1]}, "moe_layer_freq"),
        ({"num_experts": 4, "moe_layer_freq": "([0]*1+"}, "moe_layer_freq"),
        ({"window_size": [15]}, "window_size"),
        ({"window_size": [15, "0"]}, "window_size"),
        ({"window_size": [15, 0], "window_attn_skip_freq": [1, 0, 1]}, "window_attn_skip_freq"),
    ],
)
def test_unsupported_combinations_name_the_key(change, key):
    with pytest.raises(UnsupportedConfig) as err:
        architecture({**LLAMA, **change})
    assert err.value.key == key and err.value.exit_code == 2
