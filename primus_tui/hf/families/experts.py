"""The MoE block of a llama-shaped family, one strategy object per HF block design.

Like `variants.py`: `map` writes Megatron's MoE fields, `hf_*` says what the HF block holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from primus_tui.hf.builder import Builder
from primus_tui.hf.moe_layers import freq_value


@dataclass(frozen=True)
class MixtralExperts:
    """Mixtral: `num_local_experts` experts of `intermediate_size` on every layer, top-k then softmax."""

    def map(self, b: Builder, layers: int) -> None:
        mt = b.mapping.model_type
        b.set("num_experts", b.int("num_local_experts"), b.src("num_local_experts"))
        b.set("moe_layer_freq", 1, f"model_type={mt} (every layer)")
        b.set("moe_ffn_hidden_size", b.int("intermediate_size"), "intermediate_size")
        b.set("moe_router_pre_softmax", False, f"model_type={mt} (top-k, then softmax over the k)")
        jitter = b.get("router_jitter_noise", 0.0) or 0.0
        b.set("moe_input_jitter_eps", float(jitter) if jitter else None, b.src("router_jitter_noise"))
        b.set("moe_router_topk", b.int("num_experts_per_tok"), b.src("num_experts_per_tok"))
        b.set("moe_shared_expert_intermediate_size", None, f"model_type={mt} (no shared expert)")
        b.set("moe_shared_expert_gate", False, f"model_type={mt}")
        softmax_router(b)

    def hf_is_moe_layer(self, d: dict, i: int) -> bool:
        return True

    def hf_params(self, d: dict, h: int) -> int:
        n_exp, inter = d.get("num_local_experts", 8), d["intermediate_size"]
        return n_exp * h + n_exp * 3 * h * inter


@dataclass(frozen=True)
class QwenExperts:
    """Qwen-MoE: `num_experts` of `moe_intermediate_size` every `decoder_sparse_step` layers except
    `mlp_only_layers`; `shared_expert`: plus a sigmoid-gated shared expert (Qwen2-MoE)."""

    shared_expert: bool = False

    def map(self, b: Builder, layers: int) -> None:
        mt = b.mapping.model_type
        n_exp = b.int("num_experts")
        b.set("num_experts", n_exp, b.src("num_experts"))
        step = b.int("decoder_sparse_step")
        only = b.get("mlp_only_layers") or []
        flags = [int(i not in only and n_exp > 0 and (i + 1) % step == 0) for i in range(layers)]
        b.set("moe_layer_freq", freq_value(flags), "decoder_sparse_step, mlp_only_layers")
        b.set("moe_ffn_hidden_size", b.int("moe_intermediate_size"), b.src("moe_intermediate_size"))
        norm_topk = bool(b.get("norm_topk_prob"))
        b.set("moe_router_pre_softmax", not norm_topk, b.src("norm_topk_prob") + (
            " (renormalised top-k)" if norm_topk else " (softmax over all experts, no renormalisation)"))
        b.set("moe_input_jitter_eps", None, f"model_type={mt} (no router jitter)")
        b.set("moe_router_topk", b.int("num_experts_per_tok"), b.src("num_experts_per_tok"))
        if self.shared_expert:
            shared = b.get("shared_expert_intermediate_size") or 0
            b.set("moe_shared_expert_intermediate_size", int(shared) if shared else None,
                  b.src("shared_expert_intermediate_size"))
            b.set("moe_shared_expert_gate", bool(shared), f"model_type={mt} (sigmoid shared_expert_gate)")
        else:
            b.set("moe_shared_expert_intermediate_size", None, f"model_type={mt} (no shared expert)")
            b.set("moe_shared_expert_gate", False, f"model_type={mt}")
        softmax_router(b)

    def hf_is_moe_layer(self, d: dict, i: int) -> bool:
        step = d.get("decoder_sparse_step", 1)
        return i not in (d.get("mlp_only_layers") or []) and d.get("num_experts", 0) > 0 and (i + 1) % step == 0

    def hf_params(self, d: dict, h: int) -> int:
        n_exp, inter = d["num_experts"], d["moe_intermediate_size"]
        total = n_exp * h + n_exp * 3 * h * inter
        shared = d.get("shared_expert_intermediate_size", 5632) if self.shared_expert else 0
        if shared:
            total += 3 * h * shared + h  # shared_expert + shared_expert_gate (Linear(hidden, 1))
        return total


def softmax_router(b: Builder) -> None:
    """A plain softmax top-k router with a switch-style aux loss (no groups, no expert bias)."""
    mt = b.mapping.model_type
    b.set("moe_router_score_function", "softmax", f"model_type={mt} (softmax router)")
    b.set("moe_router_topk_scaling_factor", None, f"model_type={mt}")
    b.set("moe_router_num_groups", None, f"model_type={mt} (no group routing)")
    b.set("moe_router_group_topk", None, f"model_type={mt} (no group routing)")
    b.set("moe_router_enable_expert_bias", False, f"model_type={mt}")
    b.set("moe_router_load_balancing_type", "aux_loss", f"model_type={mt} (switch-style aux loss)")
    b.set("moe_aux_loss_coeff", float(b.get("router_aux_loss_coef")), b.src("router_aux_loss_coef"))
