"""The model as the planner sees it: sizes read from Megatron args after validate_args.

Parameter counts follow the layer structure Megatron builds (attention incl. MLA, dense or gated
MLP, MoE experts + shared expert + router, norms, embeddings), split into the parts that shard
differently: non-expert (TP x PP, DP) and expert (ETP x EP x PP, expert-DP).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from primus_tui.hf.moe_layers import expand_freq
from primus_tui.plan.errors import PlanError

# tokenizer_type -> vocabulary size, for presets that leave vocab_size to the tokenizer
TOKENIZER_VOCAB = {"Llama3Tokenizer": 128256, "Llama2Tokenizer": 32000, "GPT2BPETokenizer": 50257}


@dataclass(frozen=True)
class ModelShape:
    num_layers: int
    hidden: int
    ffn: int
    heads: int
    query_groups: int
    kv_channels: int
    vocab: int
    divisible_by: int
    gated: bool
    norm_size: int  # 1 RMSNorm, 2 LayerNorm (weight + bias)
    untied: bool
    num_experts: int | None
    moe_ffn: int
    topk: int
    shared_ffn: int
    moe_layers: int
    mla: dict[str, int] | None  # q_lora_rank, kv_lora_rank, qk_head_dim, qk_pos_emb_head_dim, v_head_dim
    # The core attention keeps its s x s scores for the backward pass (`stores_attention_scores`):
    # flash / fused attention (Transformer Engine, the default) recomputes them instead.
    unfused_attention: bool = False

    @property
    def dense_layers(self) -> int:
        return self.num_layers - self.moe_layers

    def padded_vocab(self, tp: int) -> int:
        multiple = self.divisible_by * tp
        return -(-self.vocab // multiple) * multiple

    def attention_params(self) -> int:
        h = self.hidden
        if self.mla:
            m = self.mla
            qk = m["qk_head_dim"] + m["qk_pos_emb_head_dim"]
            if m["q_lora_rank"]:
                q = m["q_lora_rank"] * (h + self.heads * qk + self.norm_size)
            else:
                q = h * self.heads * qk
            kv = m["kv_lora_rank"] * (h + self.heads * (m["qk_head_dim"] + m["v_head_dim"]) + self.norm_size)
            return q + kv + h * m["qk_pos_emb_head_dim"] + self.heads * m["v_head_dim"] * h
        q = self.kv_channels * self.heads
        return 2 * h * q + 2 * h * self.kv_channels * self.query_groups

    def mlp_params(self, ffn: int) -> int:
        return (3 if self.gated else 2) * self.hidden * ffn

    def non_expert_block(self) -> int:
        """Transformer block params outside the routed experts (final norm included)."""
        per_layer_norms = 2 * self.norm_size * self.hidden
        common = self.num_layers * (self.attention_params() + per_layer_norms)
        dense = self.dense_layers * self.mlp_params(self.ffn)
        moe = self.moe_layers * (self.mlp_params(self.shared_ffn) + self.hidden * (self.num_experts or 0))
        return common + dense + moe + self.norm_size * self.hidden

    def expert_block(self) -> int:
        return self.moe_layers * (self.num_experts or 0) * self.mlp_params(self.moe_ffn)

    def embedding(self, tp: int = 1) -> int:
        return self.hidden * self.padded_vocab(tp)

    def total_params(self) -> int:
        return self.non_expert_block() + self.expert_block() + self.embedding() * (2 if self.untied else 1)

    def active_params(self) -> int:
        """Params one token passes through (topk of the experts), for the 6*N*tokens FLOP count."""
        routed = self.moe_layers * self.topk * self.mlp_params(self.moe_ffn)
        return self.non_expert_block() + routed + self.embedding()

    def mlp_width(self) -> float:
        """Average per-layer MLP width a token's activations see (dense ffn, or topk experts + shared)."""
        moe = self.topk * self.moe_ffn + self.shared_ffn
        return (self.dense_layers * self.ffn + self.moe_layers * moe) / self.num_layers


def _int(args: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = args.get(key, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PlanError(f"{key}: expected a non-negative integer, got {value!r}")
    return value


def model_shape(args: Mapping[str, Any], vocab_size: int | None = None) -> ModelShape:
    """ModelShape from merged-and-validated Megatron args (trainer.arch megatron_args + _validate_args)."""
    vocab = vocab_size or args.get("vocab_size") or TOKENIZER_VOCAB.get(str(args.get("tokenizer_type")))
    if not vocab:
        raise PlanError(f"vocab_size is not set and tokenizer_type {args.get('tokenizer_type')!r} has no known "
                        "size; pass --vocab-size")
    layers = _int(args, "num_layers")
    experts = args.get("num_experts") or None
    moe_layers = 0
    if experts:
        flags = expand_freq(args.get("moe_layer_freq", 1), layers)
        if flags is None or len(flags) != layers:
            raise PlanError(f"moe_layer_freq: {args.get('moe_layer_freq')!r} does not describe {layers} layers")
        moe_layers = sum(flags)
    heads = _int(args, "num_attention_heads")
    mla = None
    if args.get("multi_latent_attention"):
        mla = {k: _int(args, k, 0) for k in ("q_lora_rank", "kv_lora_rank", "qk_head_dim", "qk_pos_emb_head_dim",
                                             "v_head_dim")}
    return ModelShape(
        num_layers=layers,
        hidden=_int(args, "hidden_size"),
        ffn=_int(args, "ffn_hidden_size"),
        heads=heads,
        query_groups=_int(args, "num_query_groups", heads) if args.get("group_query_attention") else heads,
        kv_channels=_int(args, "kv_channels"),
        vocab=int(vocab),
        divisible_by=_int(args, "make_vocab_size_divisible_by", 128) or 1,
        gated=bool(args.get("swiglu")),
        norm_size=1 if args.get("normalization") == "RMSNorm" else 2,
        untied=bool(args.get("untie_embeddings_and_output_weights")),
        num_experts=int(experts) if experts else None,
        moe_ffn=_int(args, "moe_ffn_hidden_size", 0) if experts else 0,
        topk=_int(args, "moe_router_topk", 2) if experts else 0,
        shared_ffn=_int(args, "moe_shared_expert_intermediate_size", 0) if experts else 0,
        moe_layers=moe_layers,
        mla=mla,
        unfused_attention=stores_attention_scores(args),
    )


def stores_attention_scores(args: Mapping[str, Any]) -> bool:
    """Whether Megatron's core attention keeps the softmax scores (5 a s^2 b bytes per layer).

    The local spec (`transformer_impl: local`, which `attention_backend: local` requires) builds
    Megatron's own `DotProductAttention` (QK^T, softmax, dropout in PyTorch: stored); Transformer
    Engine's `TEDotProductAttention` with `attention_backend: unfused` does the same. TE with
    `flash`, `fused` or `auto` (Megatron's defaults: transformer_engine, auto) stores only the
    softmax statistics, which is why selective recompute saves nothing on top of it.
    """
    backend = str(args.get("attention_backend") or "auto").removeprefix("AttnBackend.")
    return args.get("transformer_impl", "transformer_engine") == "local" or backend in ("unfused", "local")
