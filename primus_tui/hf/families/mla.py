"""DeepSeek-V2/V3: multi-latent attention + DeepSeek MoE (group routing, shared experts, MTP).

The defaults are those of the checkpoints' own configuration_deepseek.py (remote code), which
transformers' native DeepseekV2Config / DeepseekV3Config follow for the shared keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from primus_tui.hf import megatron_facts as facts
from primus_tui.hf.builder import Builder
from primus_tui.hf.families import rope as rope_steps
from primus_tui.hf.families import steps
from primus_tui.hf.families.base import Family
from primus_tui.hf.families.llama import LLAMA_DEFAULTS
from primus_tui.hf.moe_layers import freq_value

_MLA_BETA = {"beta_fast": 32, "beta_slow": 1}  # the HF DeepSeek YaRN defaults


@dataclass(frozen=True)
class DeepSeekMLA(Family):
    """`always_interleaved`: the rope channels are always rotated in interleaved pairs (V2's
    complex multiply; V3 unless rope_interleave is false). `scales_renormalised`: the router
    applies routed_scaling_factor also when norm_topk_prob renormalises (V3; V2 skips it)."""

    always_interleaved: bool = False
    scales_renormalised: bool = True

    @property
    def is_moe(self) -> bool:
        return True

    def rope_interleaved(self, config: dict) -> bool:
        return self.always_interleaved or super().rope_interleaved(config)

    def map(self, b: Builder) -> None:
        mt = self.name
        layers, _, _ = steps.size(b, kv_channels=False)
        steps.norm_and_act(b)
        steps.tying(b)
        if b.get("attention_bias", False):
            b.unsupported("attention_bias", "MLA projections with bias are not expressible")
        b.set("add_bias_linear", False, b.src("attention_bias"))
        b.set("add_qkv_bias", False, b.src("attention_bias"))
        if b.get("mlp_bias", False):
            b.unsupported("mlp_bias", "DeepSeek MLPs with bias: not verified against the modeling code")
        else:
            b.ignore("mlp_bias", "false: DeepSeek MLPs have no bias")
        steps.attention_dropout(b)
        b.set("hidden_dropout", 0.0, f"model_type={mt} (no residual dropout)")
        steps.init_std(b)
        self._attention(b)
        if not self._rope(b):
            return
        mtp = int(b.get("num_nextn_predict_layers") or 0)
        b.set("mtp_num_layers", mtp or None, b.src("num_nextn_predict_layers"))
        self._moe(b, layers)

    def _attention(self, b: Builder) -> None:
        mt = self.name
        b.set("multi_latent_attention", True, f"model_type={mt} (MLA)")
        q_lora = b.get("q_lora_rank")
        b.set("q_lora_rank", None if q_lora is None else int(q_lora), b.src("q_lora_rank"))
        b.set("kv_lora_rank", b.int("kv_lora_rank"), b.src("kv_lora_rank"))
        b.set("qk_head_dim", b.int("qk_nope_head_dim"), b.src("qk_nope_head_dim"))
        b.set("qk_pos_emb_head_dim", b.int("qk_rope_head_dim"), b.src("qk_rope_head_dim"))
        b.set("v_head_dim", b.int("v_head_dim"), b.src("v_head_dim"))
        b.set("kv_channels", b.mapping.fields["v_head_dim"], "v_head_dim")
        b.set("qk_layernorm", True, "q_lora_rank/kv_lora_rank (q_a_layernorm, kv_a_layernorm)")
        b.ignore("head_dim", "MLA head sizes come from qk_nope_head_dim/qk_rope_head_dim/v_head_dim")
        # transformers' native DeepseekV3Config also writes the derived qk_head_dim (= nope + rope).
        qk_sum = b.mapping.fields["qk_head_dim"] + b.mapping.fields["qk_pos_emb_head_dim"]
        if b.has("qk_head_dim") and b.data["qk_head_dim"] != qk_sum:
            b.unsupported("qk_head_dim", f"{b.data['qk_head_dim']!r} is not qk_nope_head_dim + qk_rope_head_dim = {qk_sum}")
        else:
            b.ignore("qk_head_dim", "derived: qk_nope_head_dim + qk_rope_head_dim")
        # The remote code always interleaves the rope channels of q/k; transformers' native code does
        # when rope_interleave is true. Interleaved vs rotate-half is a fixed permutation of those
        # channels in q_b_proj / kv_a_proj (checkpoint converters permute them): the same network.
        b.ignore("rope_interleave", "RoPE channel order of q_pe/k_pe: a fixed permutation of the projection rows, "
                                    "not a different network (Megatron uses rotate-half)")

    def _rope(self, b: Builder) -> bool:
        """RoPE / YaRN of the MLA rope part; False when the settings cannot be read."""
        mt = self.name
        b.set("position_embedding_type", "rope", f"model_type={mt} (rotary on the rope part of q/k)")
        rope = rope_steps.rope_settings(b)
        if rope is None:
            return False
        b.set("rotary_base", steps.num(rope.theta), rope.theta_src)
        b.set("rotary_percent", 1.0, f"model_type={mt}")
        b.set("rotary_interleaved", False, f"model_type={mt}")
        b.set("use_rope_scaling", False, f"model_type={mt} (MLA uses rope_type)")
        b.set("window_size", None, f"model_type={mt} (full attention)")
        rs, at = rope.scaling, rope.scaling_src
        kind = (rs.get("rope_type") or rs.get("type")) if isinstance(rs, dict) else None
        if rs and kind == "yarn":
            b.set("rope_type", "yarn", f"{at}.type=yarn")
            b.set("rotary_scaling_factor", float(rs.get("factor", 1.0)), f"{at}.factor")
            b.set("mscale", float(rs.get("mscale", 1.0)), f"{at}.mscale")
            b.set("mscale_all_dim", float(rs.get("mscale_all_dim", 0.0)), f"{at}.mscale_all_dim")
            hf_fixed = {"original_max_position_embeddings": 4096, **_MLA_BETA}  # the HF YaRN defaults
            for key, fixed in facts.MLA_FIXED.items():
                value = rs.get(key, hf_fixed[key])
                if facts.is_dest(key):
                    b.set(key, value, f"{at}.{key}")
                elif value != fixed:
                    b.diverge(f"mla_{key}", f"{at}.{key}", value, fixed, f"MLA YaRN with {key} {fixed:g} "
                              "(MLATransformerConfig's default: no Megatron argument sets it)")
        elif rs:
            b.unsupported(at, f"rope_type {kind!r} with MLA: Megatron MLA supports rope and yarn only")
        else:
            b.set("rope_type", "rope", at + " (no scaling)")
            # Megatron's MLA scales attention by yarn_get_mscale(rotary_scaling_factor, mscale_all_dim)^2
            # whatever rope_type is; without YaRN the HF model uses 1/sqrt(q_head_dim): mscale 1.
            b.set("rotary_scaling_factor", 1.0, at + " (no scaling: softmax scale 1/sqrt(q_head_dim))")
            b.set("mscale_all_dim", 0.0, at + " (no scaling: softmax scale 1/sqrt(q_head_dim))")
        return True

    def _moe(self, b: Builder, layers: int) -> None:
        mt = self.name
        # DeepSeek's modeling code builds a dense MLP on every layer when n_routed_experts is null.
        n_exp = b.get("n_routed_experts")
        if not n_exp:
            b.set("num_experts", None, f"{b.src('n_routed_experts')} (null: dense MLP on every layer)")
            for key in ("first_k_dense_replace", "moe_layer_freq", "moe_intermediate_size", "num_experts_per_tok",
                        "n_shared_experts", "scoring_func", "norm_topk_prob", "routed_scaling_factor", "topk_method",
                        "n_group", "topk_group", "seq_aux", "aux_loss_alpha"):
                b.ignore(key, "n_routed_experts is null: no MoE layer")
            return
        b.set("num_experts", b.int("n_routed_experts"), "n_routed_experts")
        first_dense, freq = b.int("first_k_dense_replace", positive=False), b.int("moe_layer_freq")
        flags = [int(i >= first_dense and i % freq == 0) for i in range(layers)]
        b.set("moe_layer_freq", freq_value(flags), "first_k_dense_replace, moe_layer_freq")
        moe_ffn = b.int("moe_intermediate_size")
        b.set("moe_ffn_hidden_size", moe_ffn, "moe_intermediate_size")
        b.set("moe_router_topk", b.int("num_experts_per_tok"), "num_experts_per_tok")
        shared = b.get("n_shared_experts") or 0
        b.set("moe_shared_expert_intermediate_size", int(shared) * moe_ffn if shared else None,
              "n_shared_experts × moe_intermediate_size")
        b.set("moe_shared_expert_gate", False, f"model_type={mt} (ungated shared experts)")
        self._router(b)

    def _router(self, b: Builder) -> None:
        mt = self.name
        score = b.get("scoring_func")
        norm_topk = bool(b.get("norm_topk_prob"))
        if score not in ("softmax", "sigmoid"):
            b.unsupported("scoring_func", f"{score!r}: Megatron routers score with softmax or sigmoid")
        b.set("moe_router_score_function", score, b.src("scoring_func"))
        if score == "sigmoid":
            b.set("moe_router_pre_softmax", False, f"scoring_func=sigmoid, {b.src('norm_topk_prob')} (always renormalised)")
            if not norm_topk and b.mapping.fields["moe_router_topk"] > 1:
                b.unsupported("norm_topk_prob", "sigmoid routing without renormalisation: Megatron always renormalises "
                                                "top-k sigmoid scores")
        else:
            b.set("moe_router_pre_softmax", not norm_topk, b.src("norm_topk_prob") + (
                " (renormalised top-k)" if norm_topk else " (softmax over all experts)"))
        scale = float(b.get("routed_scaling_factor"))
        if not self.scales_renormalised and norm_topk and scale != 1.0:
            b.unsupported("routed_scaling_factor", "DeepSeek-V2 skips the scaling when norm_topk_prob is true; Megatron "
                                                   "always applies it")
        b.set("moe_router_topk_scaling_factor", scale, b.src("routed_scaling_factor"))

        method = b.get("topk_method")
        n_group, topk_group = b.get("n_group"), b.get("topk_group")
        topk = b.mapping.fields["moe_router_topk"]
        grouped = method in ("group_limited_greedy", "noaux_tc") and n_group and n_group > 1
        if method in ("greedy", "gready"):
            b.set("moe_router_num_groups", None, "topk_method=greedy")
            b.set("moe_router_group_topk", None, "topk_method=greedy")
            b.ignore("n_group", "unused by greedy routing")
            b.ignore("topk_group", "unused by greedy routing")
        elif method in ("group_limited_greedy", "noaux_tc"):
            b.set("moe_router_num_groups", int(n_group) if grouped else None, b.src("n_group"))
            b.set("moe_router_group_topk", int(topk_group) if grouped else None, b.src("topk_group"))
            # Megatron ranks groups by the sum of their top-(moe_router_topk // moe_router_group_topk)
            # scores; DeepSeek-V2's group_limited_greedy by the best one (top-1), V3's noaux_tc by the top-2 sum.
            hf_rank = 1 if method == "group_limited_greedy" else 2
            if grouped and topk // int(topk_group) != hf_rank:
                how = "its best expert" if hf_rank == 1 else "the sum of its top-2 experts"
                b.unsupported("topk_method", f"{method} ranks each expert group by {how}; Megatron ranks by the sum of "
                                             f"the top-{topk // int(topk_group)} (moe_router_topk {topk} // "
                                             f"moe_router_group_topk {topk_group})")
        else:
            b.unsupported("topk_method", f"{method!r}: not a DeepSeek routing Megatron implements")
        b.set("moe_router_enable_expert_bias", method == "noaux_tc",
              b.src("topk_method") + (" (e_score_correction_bias)" if method == "noaux_tc" else ""))
        b.set("moe_router_load_balancing_type", "seq_aux_loss" if b.get("seq_aux") else "aux_loss", b.src("seq_aux"))
        b.set("moe_aux_loss_coeff", float(b.get("aux_loss_alpha")), b.src("aux_loss_alpha"))
        b.set("moe_input_jitter_eps", None, f"model_type={mt} (no router jitter)")

    # ------------------------------------------------------------ HF parameter count

    def hf_body(self, d: dict) -> dict[str, int]:
        body = super().hf_body(d)
        h, n_layers = d["hidden_size"], d["num_hidden_layers"]
        mtp = int(d.get("num_nextn_predict_layers") or 0)
        if mtp:
            one = self.hf_layer(d, n_layers - 1)  # MTP block = a MoE decoder layer + its norms/projection
            body["mtp"] = mtp * (sum(one.values()) + 3 * h + 2 * h * h)
        if d.get("topk_method") == "noaux_tc":
            body["router_expert_bias (buffer in Megatron, not counted)"] = sum(
                d["n_routed_experts"] for i in range(n_layers) if _is_moe_layer(d, i))
        return body

    def hf_layer(self, d: dict, i: int) -> dict[str, int]:
        h, heads = d["hidden_size"], d["num_attention_heads"]
        q_lora, kv_lora = d.get("q_lora_rank"), d["kv_lora_rank"]
        nope, rope, v = d["qk_nope_head_dim"], d["qk_rope_head_dim"], d["v_head_dim"]
        q = h * q_lora + q_lora + q_lora * heads * (nope + rope) if q_lora else h * heads * (nope + rope)
        out = {"norms": 2 * h,
               "attention": q + h * (kv_lora + rope) + kv_lora + kv_lora * heads * (nope + v) + heads * v * h}
        if _is_moe_layer(d, i):
            n_exp, inter = d["n_routed_experts"], d["moe_intermediate_size"]
            shared = (d.get("n_shared_experts") or 0) * inter
            out["moe"] = n_exp * h + n_exp * 3 * h * inter + 3 * h * shared
        else:
            out["mlp"] = 3 * h * d["intermediate_size"]
        return out


def _is_moe_layer(d: dict, i: int) -> bool:
    return bool(d.get("n_routed_experts")) and i >= d.get("first_k_dense_replace", 0) and i % d.get("moe_layer_freq", 1) == 0


_DEEPSEEK = {**LLAMA_DEFAULTS, "first_k_dense_replace": 0, "moe_layer_freq": 1, "aux_loss_alpha": 0.001, "seq_aux": True,
             "kv_lora_rank": 512, "q_lora_rank": 1536, "qk_rope_head_dim": 64, "v_head_dim": 128,
             "qk_nope_head_dim": 128, "num_nextn_predict_layers": 0, "rope_interleave": True}

FAMILIES: tuple[Family, ...] = (
    DeepSeekMLA("deepseek_v2", {**_DEEPSEEK, "routed_scaling_factor": 1.0, "topk_method": "greedy", "n_group": None,
                                "topk_group": None, "norm_topk_prob": False, "scoring_func": "softmax",
                                "n_shared_experts": None, "n_routed_experts": None, "num_experts_per_tok": None,
                                "moe_intermediate_size": 1407},
                aliases={"num_experts": "n_routed_experts"}, preset_prefixes=("deepseek_v2",),
                always_interleaved=True, scales_renormalised=False),
    DeepSeekMLA("deepseek_v3", {**_DEEPSEEK, "max_position_embeddings": 4096, "first_k_dense_replace": 3,
                                "routed_scaling_factor": 2.5, "topk_method": "noaux_tc", "n_group": 8, "topk_group": 4,
                                "norm_topk_prob": True, "scoring_func": "sigmoid", "n_shared_experts": 1,
                                "n_routed_experts": 256, "num_experts_per_tok": 8, "moe_intermediate_size": 2048},
                aliases={"num_local_experts": "n_routed_experts", "num_mtp_layers": "num_nextn_predict_layers"},
                preset_prefixes=("deepseek_v3",)),
)
