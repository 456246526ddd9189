"""Per-model_type mapping rules (HF modeling code semantics -> Megatron arguments).

Each family is a `Family` record (which HF config class defaults apply, which attention/MLP/MoE
variant the HF modeling code builds) plus the shared builders below. The defaults are those of
the transformers config classes, used only when config.json omits the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from primus_tui.hf.errors import HFError
from primus_tui.hf.keys import COMMON_IGNORED
from primus_tui.hf import megatron_facts as facts
from primus_tui.hf.builder import Builder
from primus_tui.hf.moe_layers import freq_value

_LLAMA_DEFAULTS = {
    "hidden_act": "silu", "max_position_embeddings": 2048, "initializer_range": 0.02, "rms_norm_eps": 1e-6,
    "tie_word_embeddings": False, "rope_theta": 10000.0, "rope_scaling": None, "attention_bias": False,
    "attention_dropout": 0.0, "mlp_bias": False, "head_dim": None, "num_key_value_heads": None,
}


@dataclass(frozen=True)
class Family:
    """What the HF modeling code for one model_type builds."""

    name: str
    defaults: dict = field(default_factory=dict)
    qkv_bias: str = "attention_bias"  # "attention_bias" (q/k/v/o together) | "always" | "qkv_bias" key
    qk_norm: bool = False
    sliding: str | None = None  # "mistral" (always on) | "qwen" (use_sliding_window) | None
    moe: str | None = None  # "mixtral" | "qwen2_moe" | "qwen3_moe" | None
    mla: bool = False
    # The config class's attribute_map: another spelling of a key -> the name these rules read
    # (transformers 5 writes Qwen3-MoE's num_experts as num_local_experts; tests check the table).
    aliases: dict[str, str] = field(default_factory=dict)
    verified: bool = True
    unsupported_why: str = ""
    # Unverified families only: still map the llama-shaped keys (so counts and audits can compare),
    # or (False) examine nothing but model_type, since the HF key names mean something else there.
    best_effort: bool = True


def _unsupported_family(name: str, why: str) -> Family:
    return Family(name, verified=False, best_effort=False, unsupported_why=f"no mapping for model_type {name!r}: {why}")


FAMILIES: dict[str, Family] = {
    "llama": Family("llama", _LLAMA_DEFAULTS),
    "mistral": Family("mistral", {**_LLAMA_DEFAULTS, "sliding_window": 4096, "max_position_embeddings": 131072}, sliding="mistral"),
    "qwen2": Family("qwen2", {**_LLAMA_DEFAULTS, "max_position_embeddings": 32768, "use_sliding_window": False,
                              "sliding_window": 4096, "max_window_layers": 28}, qkv_bias="always", sliding="qwen"),
    "qwen3": Family("qwen3", {**_LLAMA_DEFAULTS, "max_position_embeddings": 32768, "head_dim": 128,
                              "use_sliding_window": False, "sliding_window": 4096, "max_window_layers": 28},
                    qk_norm=True, sliding="qwen"),
    "mixtral": Family("mixtral", {**_LLAMA_DEFAULTS, "rope_theta": 1e6, "rms_norm_eps": 1e-5, "sliding_window": None,
                                  "max_position_embeddings": 131072, "num_experts_per_tok": 2, "num_local_experts": 8,
                                  "router_aux_loss_coef": 0.001, "router_jitter_noise": 0.0},
                      sliding="mistral", moe="mixtral", aliases={"num_experts": "num_local_experts"}),
    "qwen2_moe": Family("qwen2_moe", {**_LLAMA_DEFAULTS, "max_position_embeddings": 32768, "use_sliding_window": False,
                                      "sliding_window": 4096, "max_window_layers": 28, "decoder_sparse_step": 1,
                                      "moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632,
                                      "num_experts_per_tok": 4, "num_experts": 60, "norm_topk_prob": False,
                                      "router_aux_loss_coef": 0.001, "mlp_only_layers": [], "qkv_bias": True},
                        qkv_bias="qkv_bias", sliding="qwen", moe="qwen2_moe"),
    "qwen3_moe": Family("qwen3_moe", {**_LLAMA_DEFAULTS, "max_position_embeddings": 32768, "use_sliding_window": False,
                                      "sliding_window": 4096, "max_window_layers": 28, "decoder_sparse_step": 1,
                                      "moe_intermediate_size": 768, "num_experts_per_tok": 8, "num_experts": 128,
                                      "norm_topk_prob": False, "router_aux_loss_coef": 0.001, "mlp_only_layers": []},
                        qk_norm=True, sliding="qwen", moe="qwen3_moe", aliases={"num_local_experts": "num_experts"}),
    # DeepSeek: the defaults of the checkpoints' own configuration_deepseek.py (remote code), which
    # transformers' native DeepseekV2Config / DeepseekV3Config follow for the shared keys.
    "deepseek_v2": Family("deepseek_v2", {**_LLAMA_DEFAULTS, "first_k_dense_replace": 0, "moe_layer_freq": 1,
                                          "routed_scaling_factor": 1.0, "topk_method": "greedy", "n_group": None,
                                          "topk_group": None, "norm_topk_prob": False, "scoring_func": "softmax",
                                          "aux_loss_alpha": 0.001, "seq_aux": True, "n_shared_experts": None,
                                          "n_routed_experts": None, "num_experts_per_tok": None,
                                          "moe_intermediate_size": 1407, "kv_lora_rank": 512, "q_lora_rank": 1536,
                                          "qk_rope_head_dim": 64, "v_head_dim": 128, "qk_nope_head_dim": 128,
                                          "num_nextn_predict_layers": 0, "rope_interleave": True}, mla=True,
                          aliases={"num_experts": "n_routed_experts"}),
    "deepseek_v3": Family("deepseek_v3", {**_LLAMA_DEFAULTS, "max_position_embeddings": 4096,
                                          "first_k_dense_replace": 3, "moe_layer_freq": 1,
                                          "routed_scaling_factor": 2.5, "topk_method": "noaux_tc", "n_group": 8,
                                          "topk_group": 4, "norm_topk_prob": True, "scoring_func": "sigmoid",
                                          "aux_loss_alpha": 0.001, "seq_aux": True, "n_shared_experts": 1,
                                          "n_routed_experts": 256, "num_experts_per_tok": 8,
                                          "moe_intermediate_size": 2048, "kv_lora_rank": 512, "q_lora_rank": 1536,
                                          "qk_rope_head_dim": 64, "v_head_dim": 128, "qk_nope_head_dim": 128,
                                          "num_nextn_predict_layers": 0, "rope_interleave": True}, mla=True,
                          aliases={"num_local_experts": "n_routed_experts", "num_mtp_layers": "num_nextn_predict_layers"}),
    "phi3": Family("phi3", {**_LLAMA_DEFAULTS, "max_position_embeddings": 4096, "sliding_window": None, "rms_norm_eps": 1e-5,
                            "resid_pdrop": 0.0, "embd_pdrop": 0.0, "partial_rotary_factor": 1.0}, sliding="mistral"),
    "gemma": Family("gemma", {**_LLAMA_DEFAULTS, "hidden_act": "gelu_pytorch_tanh", "tie_word_embeddings": True},
                    verified=False, unsupported_why="Gemma scales RMSNorm by (1 + weight) and multiplies embeddings by "
                    "sqrt(hidden_size); Megatron's GPTModel does neither"),
    "gemma2": Family("gemma2", {**_LLAMA_DEFAULTS, "hidden_act": "gelu_pytorch_tanh", "tie_word_embeddings": True},
                     verified=False, unsupported_why="Gemma-2 uses (1 + weight) RMSNorm, embedding scaling, sandwich "
                     "norms and logit soft-capping; Megatron's GPTModel has none of these"),
    # Causal LMs whose HF modeling code builds something Megatron's GPT layer cannot (or that
    # primus-tui has no verified mapping for): refused with the reason, their keys not examined.
    "gemma3_text": _unsupported_family("gemma3_text", "Gemma-3 uses (1 + weight) RMSNorm, embedding scaling, sandwich "
                                       "norms, q/k norms and local/global layers with two RoPE bases; Megatron's "
                                       "GPTModel has none of these"),
    "olmo2": _unsupported_family("olmo2", "OLMo-2 normalises the attention/MLP outputs (post-norm inside the residual) "
                                 "and applies RMSNorm over the whole q/k projections; Megatron's GPT layer is pre-norm "
                                 "with per-head q/k norms"),
    "olmo": _unsupported_family("olmo", "OLMo uses non-parametric LayerNorm (no weight or bias) and optional q/k/v "
                                "clipping; Megatron's norms always have a weight"),
    "granite": _unsupported_family("granite", "Granite scales embeddings (embedding_multiplier), residual branches "
                                   "(residual_multiplier), attention scores (attention_multiplier) and logits "
                                   "(logits_scaling); Megatron's GPTModel has none of these multipliers"),
    "granitemoe": _unsupported_family("granitemoe", "Granite-MoE uses Granite's embedding/residual/attention/logit "
                                      "multipliers; Megatron's GPTModel has none of them"),
    "cohere": _unsupported_family("cohere", "Cohere runs attention and MLP in parallel from one LayerNorm and scales "
                                  "the logits (logit_scale); Megatron's GPT layer is sequential"),
    "cohere2": _unsupported_family("cohere2", "Cohere-2 runs attention and MLP in parallel, mixes sliding/global layers "
                                   "and scales the logits; Megatron's GPT layer is sequential"),
    "phi": _unsupported_family("phi", "Phi-1/2 run attention and MLP in parallel from one LayerNorm, with a non-gated "
                               "gelu_new MLP, partial RoPE and a biased lm_head; Megatron's GPT layer is sequential"),
    "phi3small": _unsupported_family("phi3small", "Phi-3-small uses block-sparse attention on alternate layers, a "
                                     "clipped GeGELU MLP and muP multipliers (remote code); not expressible in "
                                     "Megatron's arguments"),
    "phimoe": _unsupported_family("phimoe", "Phi-3.5-MoE uses LayerNorm with bias, sparsemixer routing and longrope; "
                                  "no verified mapping"),
    "gpt_neox": _unsupported_family("gpt_neox", "GPT-NeoX/Pythia use a parallel attention + MLP residual "
                                    "(use_parallel_residual), LayerNorm with bias and a non-gated MLP; no verified "
                                    "mapping"),
    "falcon": _unsupported_family("falcon", "Falcon runs attention and MLP in parallel (parallel_attn) with a non-gated "
                                  "GELU MLP and multi-query/grouped fused QKV; no verified mapping"),
    "gpt2": _unsupported_family("gpt2", "GPT-2 (learned positions, LayerNorm with bias, non-gated gelu_new MLP, "
                                "Conv1D weights) has no verified mapping"),
    "gpt_bigcode": _unsupported_family("gpt_bigcode", "StarCoder (gpt_bigcode) uses multi-query attention with learned "
                                       "positions and a non-gated MLP; no verified mapping"),
    "starcoder2": _unsupported_family("starcoder2", "StarCoder-2 uses LayerNorm with bias, a non-gated "
                                      "gelu_pytorch_tanh MLP and biases everywhere; no verified mapping"),
    "llama4_text": _unsupported_family("llama4_text", "Llama-4 interleaves RoPE-free global layers with chunked local "
                                       "attention, L2 q/k norms and a top-1 sigmoid MoE with a shared expert; not "
                                       "expressible in Megatron's arguments"),
    "qwen3_next": _unsupported_family("qwen3_next", "Qwen3-Next mixes gated DeltaNet (linear attention) and gated "
                                      "attention layers; Megatron's GPT layer has neither"),
    "mamba": _unsupported_family("mamba", "a state-space model, not a transformer decoder"),
    "jamba": _unsupported_family("jamba", "hybrid Mamba/attention layers; not a GPT decoder"),
}


def map_family(data: dict) -> Builder:
    model_type = data["model_type"]
    fam = FAMILIES.get(model_type)
    supported = ", ".join(sorted(k for k, f in FAMILIES.items() if f.verified))
    if fam is None:
        fam = Family(model_type, verified=False, best_effort=False,
                     unsupported_why=f"no verified mapping for model_type {model_type!r} (supported: {supported})")
    b = Builder(data, model_type, fam.name, fam.defaults, fam.aliases)
    if not fam.verified:
        b.unsupported("model_type", fam.unsupported_why)
    if not fam.best_effort:
        # The same key names (hidden_act, num_key_value_heads, ...) may mean something else in this
        # family's modeling code; nothing but model_type is examined, and the import is refused.
        for key in data:
            if key != "model_type" and key not in COMMON_IGNORED:
                b.ignore(key, f"not examined: model_type {model_type!r} itself is unsupported")
        return b
    try:
        (_deepseek if fam.mla else _decoder)(b, fam)
    except HFError:
        if fam.verified:
            raise
        # A best-effort family (e.g. gemma) missing a llama-shaped key: the unsupported model_type
        # is the answer; its other keys are listed as not known.
    return b


# ---------------------------------------------------------------- dense decoder (llama-like)

def _size(b: Builder, fam: Family) -> tuple[int, int, int]:
    layers, hidden, heads = b.int("num_hidden_layers"), b.int("hidden_size"), b.int("num_attention_heads")
    kv = b.get("num_key_value_heads")
    kv_src = b.src("num_key_value_heads")
    if kv is None:
        kv, kv_src = heads, "num_attention_heads (num_key_value_heads unset: multi-head attention)"
    b.set("num_layers", layers, "num_hidden_layers")
    b.set("hidden_size", hidden, "hidden_size")
    b.set("ffn_hidden_size", b.int("intermediate_size"), "intermediate_size")
    b.set("num_attention_heads", heads, "num_attention_heads")
    b.set("group_query_attention", kv != heads, kv_src)
    b.set("num_query_groups", kv, kv_src)
    if not fam.mla:
        head_dim = b.get("head_dim")
        if head_dim is None:
            b.set("kv_channels", hidden // heads if heads else 0, "hidden_size / num_attention_heads")
        else:
            b.set("kv_channels", head_dim, b.src("head_dim"))
    b.set("max_position_embeddings", b.int("max_position_embeddings"), b.src("max_position_embeddings"))
    b.set("vocab_size", b.int("vocab_size"), "vocab_size")
    return layers, hidden, heads


def _norm_and_act(b: Builder) -> None:
    mt = b.mapping.model_type
    b.set("normalization", "RMSNorm", f"model_type={mt} (RMSNorm)")
    # The dest Megatron reads (flag --norm-epsilon); a `norm_epsilon` key is dropped by Primus.
    b.set("layernorm_epsilon", float(b.get("rms_norm_eps")), b.src("rms_norm_eps"))
    b.set("layernorm_zero_centered_gamma", False, f"model_type={mt} (plain RMSNorm weight; flag --apply-layernorm-1p)")
    act = b.get("hidden_act")
    b.set("swiglu", True, b.src("hidden_act"))
    if act not in ("silu", "swish"):
        b.unsupported("hidden_act", f"gated MLP with {act!r}: Megatron's swiglu is SiLU-gated only")
    b.set("qk_l2_norm", False, f"model_type={mt}")
    b.set("apply_residual_connection_post_layernorm", False, f"model_type={mt} (pre-norm)")


def _tying(b: Builder) -> None:
    tie = b.get("tie_word_embeddings", False)
    b.set("untie_embeddings_and_output_weights", not bool(tie), b.src("tie_word_embeddings"))


def _biases(b: Builder, fam: Family) -> None:
    mt = b.mapping.model_type
    mlp_bias = bool(b.get("mlp_bias", False))
    if fam.qkv_bias in ("always", "qkv_bias"):
        qkv = True if fam.qkv_bias == "always" else bool(b.get("qkv_bias"))
        src = f"model_type={mt} (q/k/v bias built in)" if fam.qkv_bias == "always" else b.src("qkv_bias")
        b.set("add_bias_linear", False, f"model_type={mt} (no o_proj/MLP bias)")
        b.set("add_qkv_bias", qkv, src)
        b.ignore("attention_bias", "this model_type fixes which projections have a bias")
        if mlp_bias:
            b.unsupported("mlp_bias", "MLP bias without o_proj bias: Megatron's add_bias_linear covers both")
        return
    att_bias = bool(b.get("attention_bias", False))
    src = b.src("attention_bias")
    both = f"{src}, {b.src('mlp_bias')}"
    b.set("add_bias_linear", att_bias and mlp_bias, both)
    b.set("add_qkv_bias", att_bias, src)
    if att_bias != mlp_bias:
        b.unsupported("attention_bias" if att_bias else "mlp_bias",
                      "bias on only one of attention (q/k/v/o) and MLP: Megatron's add_bias_linear covers both")


def _dropouts(b: Builder, fam: Family) -> None:
    mt = b.mapping.model_type
    att = float(b.get("attention_dropout", 0.0) or 0.0)
    b.set("attention_dropout", att, b.src("attention_dropout"))
    if fam.name == "phi3":
        resid = float(b.get("resid_pdrop") or 0.0)
        embd = float(b.get("embd_pdrop") or 0.0)
        b.set("hidden_dropout", resid, f"{b.src('resid_pdrop')}, {b.src('embd_pdrop')}")
        if embd != resid:
            b.unsupported("embd_pdrop", f"embedding dropout {embd} differs from residual dropout {resid}; Megatron uses hidden_dropout for both")
    else:
        b.set("hidden_dropout", 0.0, f"model_type={mt} (no residual dropout)")
    b.set("init_method_std", float(b.get("initializer_range")), b.src("initializer_range"))


@dataclass
class _RopeSettings:
    theta: object
    theta_src: str
    scaling: object  # the rope_scaling-style dict (rope_type + its factors), or None
    scaling_src: str
    partial: object = None  # partial_rotary_factor given inside rope_parameters


def _rope_settings(b: Builder) -> _RopeSettings | None:
    """RoPE from `rope_theta` + `rope_scaling` (transformers 4.x) or `rope_parameters` (5.x).

    `rope_parameters` holds rope_theta, rope_type and the scaling factors in one object (or one
    object per attention kind, e.g. {"full_attention": {...}, "sliding_attention": {...}}).
    """
    if not b.has("rope_parameters") or b.data["rope_parameters"] is None:
        b.ignore("rope_parameters", "null: rope_theta / rope_scaling apply")
        return _RopeSettings(b.get("rope_theta"), b.src("rope_theta"), b.get("rope_scaling"), b.src("rope_scaling"))
    params, src = b.get("rope_parameters"), "rope_parameters"
    if isinstance(params, dict) and params and set(params) <= {"full_attention", "sliding_attention"}:
        if set(params) != {"full_attention"}:
            b.unsupported("rope_parameters", f"RoPE settings per attention kind {sorted(params)}: one RoPE for all "
                                             "layers is all Megatron expresses")
            return None
        params, src = params["full_attention"], "rope_parameters.full_attention"
    if not isinstance(params, dict):
        b.unsupported("rope_parameters", f"expected an object, got {params!r}")
        return None
    if b.has("rope_scaling"):
        b.ignore("rope_scaling", "superseded by rope_parameters")
    if "rope_theta" in params:
        theta, theta_src = params["rope_theta"], f"{src}.rope_theta"
        if b.has("rope_theta"):
            b.ignore("rope_theta", f"superseded by {src}.rope_theta")
    else:
        theta, theta_src = b.get("rope_theta"), b.src("rope_theta")
    kind = params.get("rope_type") or params.get("type") or "default"
    return _RopeSettings(theta, theta_src, None if kind == "default" else params, src,
                         params.get("partial_rotary_factor"))


def _rope(b: Builder, fam: Family) -> None:
    b.set("position_embedding_type", "rope", f"model_type={b.mapping.model_type} (rotary)")
    rope = _rope_settings(b)
    if rope is None:
        return
    b.set("rotary_base", _num(rope.theta), rope.theta_src)
    if rope.partial is not None:
        b.set("rotary_percent", float(rope.partial), f"{rope.scaling_src}.partial_rotary_factor")
    elif fam.name == "phi3" or b.has("partial_rotary_factor"):
        b.set("rotary_percent", float(b.get("partial_rotary_factor", 1.0)), b.src("partial_rotary_factor"))
    else:
        b.set("rotary_percent", 1.0, f"model_type={b.mapping.model_type} (full rotary)")
    b.set("rotary_interleaved", False, f"model_type={b.mapping.model_type} (rotate-half RoPE)")
    b.set("use_rope_scaling", False, rope.scaling_src)
    rs = rope.scaling
    if not rs:
        return
    if not isinstance(rs, dict):
        b.unsupported("rope_scaling", f"expected an object, got {rs!r}")
        return
    kind = rs.get("rope_type") or rs.get("type")
    if kind == "default":
        return
    if kind == "llama3":
        _llama3(b, rs, rope.scaling_src)
        return
    if kind == "linear":
        # --rotary-seq-len-interpolation-factor parses, but gpt_builder never passes it to GPTModel.
        fixed = facts.gpt_fixed("seq_len_interpolation_factor")
        factor = rs.get("factor")
        if factor != fixed and not (fixed is None and factor == 1):
            b.diverge("rotary_seq_len_interpolation_factor", f"{rope.scaling_src}.factor", factor, fixed,
                      f"RoPE with seq_len_interpolation_factor {fixed} (gpt_builders.py does not pass "
                      "rotary_seq_len_interpolation_factor)")
        return
    if kind == "yarn":
        b.unsupported(rope.scaling_src, "rope_type 'yarn' on standard attention: not mapped (primus-tui maps YaRN for "
                                        "multi-latent attention only; the trainer builds rope or llama3 scaling)")
        return
    b.unsupported(rope.scaling_src, f"rope_type {kind!r}: no Megatron argument reproduces it for standard attention")


def _llama3(b: Builder, rs: dict, at: str) -> None:
    """llama3 scaling: Megatron builds it with GPTModel's fixed factor and _apply_scaling's fixed
    frequencies (gpt_builder passes only rope_scaling=use_rope_scaling); other values diverge."""
    fixed = float(facts.gpt_fixed("rope_scaling_factor"))
    b.set("use_rope_scaling", True, f"{at}.rope_type=llama3 (factor {fixed:g}: GPTModel's fixed rope_scaling_factor)")
    factor = rs.get("factor")
    if not isinstance(factor, (int, float)) or float(factor) != fixed:
        b.diverge("rope_scaling_factor", f"{at}.factor", factor, fixed, f"llama3 scaling with factor {fixed:g} "
                  "(gpt_builders.py does not pass rope_scaling_factor)")
    for key, value in facts.LLAMA3_FIXED.items():
        if rs.get(key) != value:
            b.diverge(f"rope_{key}", f"{at}.{key}", rs.get(key), value, f"llama3 scaling with {key} {value:g} "
                      "(hard-coded in Megatron's RotaryEmbedding._apply_scaling)")


def _sliding(b: Builder, fam: Family, layers: int) -> None:
    mt = b.mapping.model_type
    b.set("window_size", None, f"model_type={mt} (full attention)")
    layer_types = b.get("layer_types", None)
    if fam.sliding is None:
        if layer_types is not None:
            _check_layer_types(b, layer_types, sliding_allowed=False)
        return
    window = b.get("sliding_window", None)
    if window is None:
        b.set("window_size", None, f"{b.src('sliding_window')} (null: full attention)")
    if fam.sliding == "qwen":
        use = bool(b.get("use_sliding_window", False))
        if not use:
            b.set("window_size", None, f"{b.src('use_sliding_window')} (false: full attention)")
            b.ignore("sliding_window", "use_sliding_window is false")
            b.ignore("max_window_layers", "use_sliding_window is false")
            if layer_types is not None:
                _check_layer_types(b, layer_types, sliding_allowed=False)
            return
        # transformers: layer i slides when sliding_window is set and i >= max_window_layers.
        first = b.int("max_window_layers", positive=False)
        if window is None or first >= layers:
            why = "sliding_window is null" if window is None else f"max_window_layers {first} >= {layers} layers"
            b.set("window_size", None, f"{b.src('max_window_layers')} ({why}: no layer slides)")
            b.ignore("sliding_window", f"{why}: no layer slides")
            if layer_types is not None:
                _check_layer_types(b, layer_types, sliding_allowed=False)
            return
        if first > 0:
            b.unsupported("use_sliding_window", f"sliding window on layers {first}-{layers - 1} only (max_window_layers "
                                                f"{first}): Megatron applies one window to every layer")
            return
        # max_window_layers 0: every layer slides, like Mistral.
    if window is None:
        if layer_types is not None:
            _check_layer_types(b, layer_types, sliding_allowed=False)
        return
    max_pos = b.mapping.fields.get("max_position_embeddings") or 0
    if window >= max_pos:
        b.ignore("sliding_window", f"window {window} covers the whole context ({max_pos}): no effect")
        return
    # transformers: a token sees itself and the previous (sliding_window - 1) tokens; Megatron/TE
    # window_size is (left, right) inclusive, so left = sliding_window - 1, right = 0 (causal).
    b.set("window_size", [int(window) - 1, 0], "sliding_window (left = sliding_window - 1)")
    b.note(f"sliding-window attention ({window} tokens) only changes results for seq_length > {window}; "
           "primus-cli's trainer applies window_size with a banded mask; upstream Megatron through Transformer Engine / flash attention")
    if layer_types is not None:
        _check_layer_types(b, layer_types, sliding_allowed=True)


def _check_layer_types(b: Builder, layer_types: object, *, sliding_allowed: bool) -> None:
    kinds = set(layer_types) if isinstance(layer_types, list) else {repr(layer_types)}
    ok = {"full_attention", "sliding_attention"} if sliding_allowed else {"full_attention"}
    if kinds <= ok and (len(kinds) <= 1):
        b.ignore("layer_types", "consistent with the attention settings")
    else:
        b.unsupported("layer_types", f"per-layer attention kinds {sorted(kinds)}: mixed layers are not expressible")


def _decoder(b: Builder, fam: Family) -> None:
    layers, hidden, heads = _size(b, fam)
    _norm_and_act(b)
    _tying(b)
    _biases(b, fam)
    b.set("qk_layernorm", fam.qk_norm, f"model_type={b.mapping.model_type}" + (" (q_norm/k_norm)" if fam.qk_norm else ""))
    _dropouts(b, fam)
    _rope(b, fam)
    _sliding(b, fam, layers)
    b.set("multi_latent_attention", False, f"model_type={b.mapping.model_type}")
    if b.has("original_max_position_embeddings"):
        b.ignore("original_max_position_embeddings", "only used by rope_scaling variants")
    if fam.moe:
        _moe(b, fam, layers)
    else:
        b.set("num_experts", None, f"model_type={b.mapping.model_type} (dense)")
    b.set("mtp_num_layers", None, f"model_type={b.mapping.model_type}")


# ---------------------------------------------------------------- mixture of experts (non-MLA)

def _moe(b: Builder, fam: Family, layers: int) -> None:
    if fam.moe == "mixtral":
        n_exp, n_src = b.int("num_local_experts"), b.src("num_local_experts")
        b.set("num_experts", n_exp, n_src)
        b.set("moe_layer_freq", 1, "model_type=mixtral (every layer)")
        b.set("moe_ffn_hidden_size", b.int("intermediate_size"), "intermediate_size")
        norm_topk = True
        b.set("moe_router_pre_softmax", False, "model_type=mixtral (top-k, then softmax over the k)")
        jitter = b.get("router_jitter_noise", 0.0) or 0.0
        b.set("moe_input_jitter_eps", float(jitter) if jitter else None, b.src("router_jitter_noise"))
    else:
        n_exp = b.int("num_experts")
        b.set("num_experts", n_exp, b.src("num_experts"))
        step = b.int("decoder_sparse_step")
        only = b.get("mlp_only_layers") or []
        flags = [int(i not in only and n_exp > 0 and (i + 1) % step == 0) for i in range(layers)]
        b.set("moe_layer_freq", freq_value(flags), "decoder_sparse_step, mlp_only_layers")
        b.set("moe_ffn_hidden_size", b.int("moe_intermediate_size"), b.src("moe_intermediate_size"))
        norm_topk = bool(b.get("norm_topk_prob"))
        b.set("moe_router_pre_softmax", not norm_topk, b.src("norm_topk_prob") + (" (renormalised top-k)" if norm_topk else " (softmax over all experts, no renormalisation)"))
        b.set("moe_input_jitter_eps", None, f"model_type={fam.name} (no router jitter)")
    b.set("moe_router_topk", b.int("num_experts_per_tok"), b.src("num_experts_per_tok"))
    if fam.moe == "qwen2_moe":
        shared = b.get("shared_expert_intermediate_size") or 0
        b.set("moe_shared_expert_intermediate_size", int(shared) if shared else None, b.src("shared_expert_intermediate_size"))
        b.set("moe_shared_expert_gate", bool(shared), "model_type=qwen2_moe (sigmoid shared_expert_gate)")
    else:
        b.set("moe_shared_expert_intermediate_size", None, f"model_type={fam.name} (no shared expert)")
        b.set("moe_shared_expert_gate", False, f"model_type={fam.name}")
    b.set("moe_router_score_function", "softmax", f"model_type={fam.name} (softmax router)")
    b.set("moe_router_topk_scaling_factor", None, f"model_type={fam.name}")
    b.set("moe_router_num_groups", None, f"model_type={fam.name} (no group routing)")
    b.set("moe_router_group_topk", None, f"model_type={fam.name} (no group routing)")
    b.set("moe_router_enable_expert_bias", False, f"model_type={fam.name}")
    b.set("moe_router_load_balancing_type", "aux_loss", f"model_type={fam.name} (switch-style aux loss)")
    b.set("moe_aux_loss_coeff", float(b.get("router_aux_loss_coef")), b.src("router_aux_loss_coef"))


# ---------------------------------------------------------------- DeepSeek V2/V3: MLA + MoE

_MLA_BETA = {"beta_fast": 32, "beta_slow": 1}  # the HF DeepSeek YaRN defaults


def _deepseek(b: Builder, fam: Family) -> None:
    mt = fam.name
    layers, hidden, heads = _size(b, fam)
    _norm_and_act(b)
    _tying(b)
    if b.get("attention_bias", False):
        b.unsupported("attention_bias", "MLA projections with bias are not expressible")
    b.set("add_bias_linear", False, b.src("attention_bias"))
    b.set("add_qkv_bias", False, b.src("attention_bias"))
    if b.get("mlp_bias", False):
        b.unsupported("mlp_bias", "DeepSeek MLPs with bias: not verified against the modeling code")
    else:
        b.ignore("mlp_bias", "false: DeepSeek MLPs have no bias")
    _dropouts(b, fam)

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

    b.set("position_embedding_type", "rope", f"model_type={mt} (rotary on the rope part of q/k)")
    rope = _rope_settings(b)
    if rope is None:
        return
    b.set("rotary_base", _num(rope.theta), rope.theta_src)
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

    mtp = int(b.get("num_nextn_predict_layers") or 0)
    b.set("mtp_num_layers", mtp or None, b.src("num_nextn_predict_layers"))

    # MoE. DeepSeek's modeling code builds a dense MLP on every layer when n_routed_experts is null.
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
    b.set("moe_shared_expert_intermediate_size", int(shared) * moe_ffn if shared else None, "n_shared_experts × moe_intermediate_size")
    b.set("moe_shared_expert_gate", False, f"model_type={mt} (ungated shared experts)")

    score = b.get("scoring_func")
    norm_topk = bool(b.get("norm_topk_prob"))
    if score not in ("softmax", "sigmoid"):
        b.unsupported("scoring_func", f"{score!r}: Megatron routers score with softmax or sigmoid")
    b.set("moe_router_score_function", score, b.src("scoring_func"))
    if score == "sigmoid":
        b.set("moe_router_pre_softmax", False, f"scoring_func=sigmoid, {b.src('norm_topk_prob')} (always renormalised)")
        if not norm_topk and b.mapping.fields["moe_router_topk"] > 1:
            b.unsupported("norm_topk_prob", "sigmoid routing without renormalisation: Megatron always renormalises top-k sigmoid scores")
    else:
        b.set("moe_router_pre_softmax", not norm_topk, b.src("norm_topk_prob") + (" (renormalised top-k)" if norm_topk else " (softmax over all experts)"))
    scale = float(b.get("routed_scaling_factor"))
    if mt == "deepseek_v2" and norm_topk and scale != 1.0:
        b.unsupported("routed_scaling_factor", "DeepSeek-V2 skips the scaling when norm_topk_prob is true; Megatron always applies it")
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
            b.unsupported("topk_method", f"{method} ranks each expert group by {how}; Megatron ranks by the sum of the "
                                         f"top-{topk // int(topk_group)} (moe_router_topk {topk} // moe_router_group_topk "
                                         f"{topk_group})")
    else:
        b.unsupported("topk_method", f"{method!r}: not a DeepSeek routing Megatron implements")
    b.set("moe_router_enable_expert_bias", method == "noaux_tc", b.src("topk_method") + (" (e_score_correction_bias)" if method == "noaux_tc" else ""))
    b.set("moe_router_load_balancing_type", "seq_aux_loss" if b.get("seq_aux") else "aux_loss", b.src("seq_aux"))
    b.set("moe_aux_loss_coeff", float(b.get("aux_loss_alpha")), b.src("aux_loss_alpha"))
    b.set("moe_input_jitter_eps", None, f"model_type={mt} (no router jitter)")


def _num(value: object) -> object:
    """Integral floats as int (Megatron's rotary_base and interpolation factor are int arguments)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
