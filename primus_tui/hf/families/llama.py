"""Llama-shaped families: pre-norm RMSNorm decoder, SiLU-gated MLP, rotate-half RoPE, optional GQA.

`LlamaShaped` is the shape; each family below is one instance of it with its config class
defaults and its variants. Adding a llama-shaped family is one more instance in `FAMILIES` here.
"""

from __future__ import annotations

from dataclasses import dataclass

from primus_tui.hf.builder import Builder
from primus_tui.hf.families import rope, steps
from primus_tui.hf.families.base import Family
from primus_tui.hf.families.experts import MixtralExperts, QwenExperts
from primus_tui.hf.families.variants import (AttentionBias, FullAttention, NoResidualDropout, QkvBias,
                                             ResidualDropout, SlidingWindow, SwitchedSlidingWindow)

# transformers' LlamaConfig defaults, the base of every llama-shaped config class.
LLAMA_DEFAULTS = {
    "hidden_act": "silu", "max_position_embeddings": 2048, "initializer_range": 0.02, "rms_norm_eps": 1e-6,
    "tie_word_embeddings": False, "rope_theta": 10000.0, "rope_scaling": None, "attention_bias": False,
    "attention_dropout": 0.0, "mlp_bias": False, "head_dim": None, "num_key_value_heads": None,
}
# Qwen2/Qwen3 config classes: the sliding-window switch and its defaults.
QWEN_DEFAULTS = {**LLAMA_DEFAULTS, "max_position_embeddings": 32768, "use_sliding_window": False,
                 "sliding_window": 4096, "max_window_layers": 28}


@dataclass(frozen=True)
class LlamaShaped(Family):
    """A llama-shaped family. Variants: `bias` (which projections have one), `qk_norm` (per-head
    RMSNorm on q and k), `sliding` (the window rule), `dropout` (residual dropout keys),
    `partial_rotary_key` (the config class has partial_rotary_factor), `experts` (MoE block)."""

    bias: AttentionBias | QkvBias = AttentionBias()
    qk_norm: bool = False
    sliding: FullAttention | SlidingWindow = FullAttention()
    dropout: NoResidualDropout | ResidualDropout = NoResidualDropout()
    partial_rotary_key: bool = False
    experts: MixtralExperts | QwenExperts | None = None

    @property
    def is_moe(self) -> bool:
        return self.experts is not None

    def map(self, b: Builder) -> None:
        mt = b.mapping.model_type
        layers, _, _ = steps.size(b)
        steps.norm_and_act(b)
        steps.tying(b)
        self.bias.map(b)
        b.set("qk_layernorm", self.qk_norm, f"model_type={mt}" + (" (q_norm/k_norm)" if self.qk_norm else ""))
        steps.attention_dropout(b)
        self.dropout.map(b)
        steps.init_std(b)
        rope.rope(b, partial_rotary_key=self.partial_rotary_key)
        self.sliding.map(b, layers)
        b.set("multi_latent_attention", False, f"model_type={mt}")
        if b.has("original_max_position_embeddings"):
            b.ignore("original_max_position_embeddings", "only used by rope_scaling variants")
        if self.experts is not None:
            self.experts.map(b, layers)
        else:
            b.set("num_experts", None, f"model_type={mt} (dense)")
        b.set("mtp_num_layers", None, f"model_type={mt}")

    def hf_layer(self, d: dict, i: int) -> dict[str, int]:
        h, heads = d["hidden_size"], d["num_attention_heads"]
        kv = d.get("num_key_value_heads") or heads
        hd = d.get("head_dim") or h // heads
        qkv_bias, o_bias = self.bias.hf_biases(d)
        attn = h * heads * hd + 2 * h * kv * hd + heads * hd * h
        if qkv_bias:
            attn += heads * hd + 2 * kv * hd
        if o_bias:
            attn += h
        if self.qk_norm:
            attn += 2 * hd
        out = {"norms": 2 * h, "attention": attn}
        if self.experts is not None and self.experts.hf_is_moe_layer(d, i):
            out["moe"] = self.experts.hf_params(d, h)
        else:
            inter = d["intermediate_size"]
            out["mlp"] = 3 * h * inter + ((2 * inter + h) if d.get("mlp_bias", False) else 0)
        return out


FAMILIES: tuple[Family, ...] = (
    LlamaShaped("llama", LLAMA_DEFAULTS, preset_prefixes=("llama",)),
    LlamaShaped("mistral", {**LLAMA_DEFAULTS, "sliding_window": 4096, "max_position_embeddings": 131072},
                preset_prefixes=("mistral",), related_to="llama", sliding=SlidingWindow()),
    LlamaShaped("qwen2", QWEN_DEFAULTS, preset_prefixes=("qwen2", "qwen2.5", "deepseek_r1_distill_qwen"),
                related_to="llama", bias=QkvBias(), sliding=SwitchedSlidingWindow()),
    LlamaShaped("qwen3", {**QWEN_DEFAULTS, "head_dim": 128}, preset_prefixes=("qwen3",), related_to="qwen2",
                qk_norm=True, sliding=SwitchedSlidingWindow()),
    LlamaShaped("phi3", {**LLAMA_DEFAULTS, "max_position_embeddings": 4096, "sliding_window": None, "rms_norm_eps": 1e-5,
                         "resid_pdrop": 0.0, "embd_pdrop": 0.0, "partial_rotary_factor": 1.0},
                preset_prefixes=("phi3",), related_to="llama", sliding=SlidingWindow(),
                dropout=ResidualDropout("resid_pdrop", "embd_pdrop"), partial_rotary_key=True),
    # EXAONE 3.0/3.5: transformers builds it as LlamaForCausalLM; the config class renames three keys and the
    # checkpoints name tensors GPT-2 style (transformers' conversion_mapping, which save_pretrained writes back).
    LlamaShaped("exaone", {**LLAMA_DEFAULTS, "max_position_embeddings": 4096, "rms_norm_eps": 1e-5,
                           "rope_theta": 500000.0, "num_key_value_heads": 8},
                aliases={"num_layers": "num_hidden_layers", "layer_norm_epsilon": "rms_norm_eps",
                         "activation_function": "hidden_act"},
                preset_prefixes=("exaone",), related_to="llama", tensor_renames=(
                    (r"^transformer\.wte\.", "model.embed_tokens."), (r"^transformer\.h\.", "model.layers."),
                    (r"^transformer\.ln_f\.", "model.norm."), (r"\.attn\.attention\.", ".self_attn."),
                    (r"\.self_attn\.out_proj\.", ".self_attn.o_proj."), (r"\.ln_1\.", ".input_layernorm."),
                    (r"\.ln_2\.", ".post_attention_layernorm."), (r"\.mlp\.c_fc_0\.", ".mlp.gate_proj."),
                    (r"\.mlp\.c_fc_1\.", ".mlp.up_proj."), (r"\.mlp\.c_proj\.", ".mlp.down_proj."))),
)
