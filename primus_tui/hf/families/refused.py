"""Families the import refuses, each with the reason (the one-line error names it).

Gemma and Gemma-2 are llama-shaped enough to be mapped best effort (so counts and the audit
can compare); the others build something Megatron's GPT layer cannot (or primus-tui has no
verified mapping of), and their HF keys are not examined at all: the same key names may mean
something else there. `PRESETS_ONLY` names preset families Primus ships with no HF mapping.
"""

from __future__ import annotations

from dataclasses import dataclass

from primus_tui.hf.builder import Builder
from primus_tui.hf.families.base import Family, PresetOnly
from primus_tui.hf.families.llama import LLAMA_DEFAULTS, LlamaShaped
from primus_tui.hf.keys import COMMON_IGNORED


@dataclass(frozen=True)
class Refused(Family):
    """A model_type with no mapping: only model_type is examined, nothing is counted."""

    @property
    def countable(self) -> bool:
        return False

    def map(self, b: Builder) -> None:
        for key in b.data:
            if key != "model_type" and key not in COMMON_IGNORED:
                b.ignore(key, f"not examined: model_type {b.mapping.model_type!r} itself is unsupported")


def refused(name: str, why: str) -> Refused:
    return Refused(name, refusal=f"no mapping for model_type {name!r}: {why}")


_GEMMA = {**LLAMA_DEFAULTS, "hidden_act": "gelu_pytorch_tanh", "tie_word_embeddings": True}

FAMILIES: tuple[Family, ...] = (
    LlamaShaped("gemma", _GEMMA, refusal="Gemma scales RMSNorm by (1 + weight) and multiplies embeddings by "
                "sqrt(hidden_size); Megatron's GPTModel does neither"),
    LlamaShaped("gemma2", _GEMMA, refusal="Gemma-2 uses (1 + weight) RMSNorm, embedding scaling, sandwich "
                "norms and logit soft-capping; Megatron's GPTModel has none of these"),
    refused("gemma3_text", "Gemma-3 uses (1 + weight) RMSNorm, embedding scaling, sandwich norms, q/k norms and "
            "local/global layers with two RoPE bases; Megatron's GPTModel has none of these"),
    refused("olmo2", "OLMo-2 normalises the attention/MLP outputs (post-norm inside the residual) and applies "
            "RMSNorm over the whole q/k projections; Megatron's GPT layer is pre-norm with per-head q/k norms"),
    refused("olmo", "OLMo uses non-parametric LayerNorm (no weight or bias) and optional q/k/v clipping; Megatron's "
            "norms always have a weight"),
    refused("granite", "Granite scales embeddings (embedding_multiplier), residual branches (residual_multiplier), "
            "attention scores (attention_multiplier) and logits (logits_scaling); Megatron's GPTModel has none of "
            "these multipliers"),
    refused("granitemoe", "Granite-MoE uses Granite's embedding/residual/attention/logit multipliers; Megatron's "
            "GPTModel has none of them"),
    refused("cohere", "Cohere runs attention and MLP in parallel from one LayerNorm and scales the logits "
            "(logit_scale); Megatron's GPT layer is sequential"),
    refused("cohere2", "Cohere-2 runs attention and MLP in parallel, mixes sliding/global layers and scales the "
            "logits; Megatron's GPT layer is sequential"),
    refused("phi", "Phi-1/2 run attention and MLP in parallel from one LayerNorm, with a non-gated gelu_new MLP, "
            "partial RoPE and a biased lm_head; Megatron's GPT layer is sequential"),
    refused("phi3small", "Phi-3-small uses block-sparse attention on alternate layers, a clipped GeGELU MLP and muP "
            "multipliers (remote code); not expressible in Megatron's arguments"),
    refused("phimoe", "Phi-3.5-MoE uses LayerNorm with bias, sparsemixer routing and longrope; no verified mapping"),
    refused("gpt_neox", "GPT-NeoX/Pythia use a parallel attention + MLP residual (use_parallel_residual), LayerNorm "
            "with bias and a non-gated MLP; no verified mapping"),
    refused("falcon", "Falcon runs attention and MLP in parallel (parallel_attn) with a non-gated GELU MLP and "
            "multi-query/grouped fused QKV; no verified mapping"),
    refused("gpt2", "GPT-2 (learned positions, LayerNorm with bias, non-gated gelu_new MLP, Conv1D weights) has no "
            "verified mapping"),
    refused("gpt_bigcode", "StarCoder (gpt_bigcode) uses multi-query attention with learned positions and a "
            "non-gated MLP; no verified mapping"),
    refused("starcoder2", "StarCoder-2 uses LayerNorm with bias, a non-gated gelu_pytorch_tanh MLP and biases "
            "everywhere; no verified mapping"),
    refused("llama4_text", "Llama-4 interleaves RoPE-free global layers with chunked local attention, L2 q/k norms "
            "and a top-1 sigmoid MoE with a shared expert; not expressible in Megatron's arguments"),
    refused("qwen3_next", "Qwen3-Next mixes gated DeltaNet (linear attention) and gated attention layers; Megatron's "
            "GPT layer has neither"),
    refused("mamba", "a state-space model, not a transformer decoder"),
    refused("jamba", "hybrid Mamba/attention layers; not a GPT decoder"),
)

PRESETS_ONLY: tuple[PresetOnly, ...] = (
    PresetOnly("llama4", ("llama4",)),
    PresetOnly("qwen3_5", ("qwen3_5",)),
)
