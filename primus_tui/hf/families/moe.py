"""Llama-shaped mixture-of-experts families: the llama layer with an MoE block (`experts.py`)."""

from __future__ import annotations

from primus_tui.hf.families.base import Family
from primus_tui.hf.families.experts import MixtralExperts, QwenExperts
from primus_tui.hf.families.llama import LLAMA_DEFAULTS, QWEN_DEFAULTS, LlamaShaped
from primus_tui.hf.families.variants import QkvBias, SlidingWindow, SwitchedSlidingWindow

_QWEN_MOE = {**QWEN_DEFAULTS, "decoder_sparse_step": 1, "norm_topk_prob": False, "router_aux_loss_coef": 0.001,
             "mlp_only_layers": []}

FAMILIES: tuple[Family, ...] = (
    LlamaShaped("mixtral", {**LLAMA_DEFAULTS, "rope_theta": 1e6, "rms_norm_eps": 1e-5, "sliding_window": None,
                            "max_position_embeddings": 131072, "num_experts_per_tok": 2, "num_local_experts": 8,
                            "router_aux_loss_coef": 0.001, "router_jitter_noise": 0.0},
                aliases={"num_experts": "num_local_experts"}, preset_prefixes=("mixtral",), related_to="mistral",
                sliding=SlidingWindow(), experts=MixtralExperts()),
    LlamaShaped("qwen2_moe", {**_QWEN_MOE, "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632,
                              "num_experts_per_tok": 4, "num_experts": 60, "qkv_bias": True},
                preset_prefixes=("qwen2", "qwen2.5", "deepseek_r1_distill_qwen"),
                bias=QkvBias("qkv_bias"), sliding=SwitchedSlidingWindow(), experts=QwenExperts(shared_expert=True)),
    # transformers 5 writes Qwen3-MoE's num_experts as num_local_experts (tests check the table).
    LlamaShaped("qwen3_moe", {**_QWEN_MOE, "moe_intermediate_size": 768, "num_experts_per_tok": 8, "num_experts": 128},
                aliases={"num_local_experts": "num_experts"}, preset_prefixes=("qwen3",),
                qk_norm=True, sliding=SwitchedSlidingWindow(), experts=QwenExperts()),
)
