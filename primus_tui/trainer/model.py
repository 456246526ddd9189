"""Build the megatron-core GPTModel from an `Architecture` (local block spec + SDPA core attention)."""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from megatron.core.models.gpt import GPTModel
from megatron.core.models.gpt.gpt_layer_specs import get_gpt_decoder_block_spec
from megatron.core.transformer import MLATransformerConfig, TransformerConfig
from megatron.core.transformer.transformer_block import TransformerBlockSubmodules

from primus_tui.trainer.arch import Architecture
from primus_tui.trainer.attention import SDPACoreAttention
from primus_tui.trainer.errors import UnsupportedConfig


def _activation(name: str):
    if name == "silu":
        return F.silu
    if name == "squared_relu":
        from megatron.core.activations import squared_relu

        return squared_relu
    if name == "quick_gelu":
        from megatron.core.fusions.fused_bias_geglu import quick_gelu

        return quick_gelu
    return F.gelu


def _installed_kwargs(arch: Architecture, config_class: type) -> dict:
    """The Architecture's keywords that the installed megatron-core knows.

    A field the pinned Megatron-LM has but this megatron-core lacks is dropped while it holds
    Megatron's default; set by the YAML, it is an error (the network would silently differ).
    """
    known = {f.name for f in dataclasses.fields(config_class)}
    missing = sorted(k for k in arch.config if k not in known and k in arch.explicit_keys)
    if missing:
        raise UnsupportedConfig(missing[0], f"is not a {config_class.__name__} field of the installed megatron-core")
    return {k: v for k, v in arch.config.items() if k in known}


def transformer_config(arch: Architecture, *, bf16: bool, cpu_init: bool, initialize: bool = True) -> TransformerConfig:
    """TransformerConfig (MLATransformerConfig with multi-latent attention), as Megatron-LM builds it,
    with the kernels that need Apex/TE switched off (implementation only, same math)."""
    config_class = MLATransformerConfig if arch.multi_latent_attention else TransformerConfig
    kwargs = _installed_kwargs(arch, config_class)
    kwargs.update(
        activation_func=_activation(arch.activation),
        gated_linear_unit=arch.gated,
        bf16=bf16,
        params_dtype=torch.bfloat16 if bf16 else torch.float32,
        pipeline_dtype=torch.bfloat16 if bf16 else torch.float32,
        use_cpu_initialization=cpu_init,
        perform_initialization=initialize,
        bias_activation_fusion=False,
        bias_dropout_fusion=False,
        apply_rope_fusion=False,
        masked_softmax_fusion=False,
        gradient_accumulation_fusion=False,
        persist_layer_norm=False,
        moe_grouped_gemm=False,
        transformer_impl="local",
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return config_class(**kwargs)
    except (AssertionError, ValueError, TypeError) as exc:
        raise UnsupportedConfig("model", f"megatron-core rejected the architecture: {exc}") from exc


def decoder_block_spec(config: TransformerConfig) -> TransformerBlockSubmodules:
    """megatron-core's local (no Transformer Engine) decoder block spec with SDPA core attention.

    One layer spec per layer, so `moe_layer_freq` patterns build dense and MoE layers where
    Megatron does (dense layers use ffn_hidden_size, MoE layers the experts).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        block = get_gpt_decoder_block_spec(config, use_transformer_engine=False, normalization=config.normalization)
    for spec in block.layer_specs:
        spec.submodules.self_attention.submodules.core_attention = SDPACoreAttention
    return block


@dataclass(frozen=True)
class ParamCount:
    total: int
    embedding: int  # input word embeddings (+ learned positions); the output layer counts as compute

    @property
    def non_embedding(self) -> int:
        return self.total - self.embedding


def _mla_without_transformer_engine() -> None:
    """Let megatron-core's MLA run on the local spec without Transformer Engine (and on a CPU).

    Without TE, megatron-core leaves MagicMock placeholders for the TE linear classes, which MLA
    passes to isinstance(); and YarnRotaryEmbedding moves its buffers to torch.cuda.current_device()
    at the first forward. Neither changes the math; both only need a CPU-safe stand-in.
    """
    from megatron.core.transformer import multi_latent_attention as mla_module

    if not isinstance(getattr(mla_module, "TELinear", None), type):
        mla_module.HAVE_TE = False
    if not torch.cuda.is_available():
        torch.cuda.current_device = lambda: "cpu"


def build_gpt(arch: Architecture, config: TransformerConfig) -> GPTModel:
    """GPTModel with the keywords gpt_builders.gpt_builder passes; the rest keep GPTModel's defaults."""
    if arch.multi_latent_attention:
        _mla_without_transformer_engine()
    if arch.padded_vocab_size is None:
        raise UnsupportedConfig("vocab_size", "is required when no tokenizer is available")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GPTModel(
            config=config,
            transformer_layer_spec=decoder_block_spec(config),
            vocab_size=arch.padded_vocab_size,
            max_sequence_length=arch.max_sequence_length,
            parallel_output=True,
            share_embeddings_and_output_weights=arch.tied_embeddings,
            position_embedding_type=arch.position_embedding_type,
            rotary_percent=arch.rotary_percent,
            rotary_base=arch.rotary_base,
            rope_scaling=arch.rope_scaling,
            rope_scaling_factor=arch.rope_scaling_factor,
        )


def count_parameters(model: torch.nn.Module) -> ParamCount:
    """Unique parameters (tied embeddings counted once), like Megatron's report."""
    seen: set[int] = set()
    total = embedding = 0
    for name, param in model.named_parameters():
        if id(param) in seen:
            continue
        seen.add(id(param))
        total += param.numel()
        if name.endswith(("embedding.word_embeddings.weight", "embedding.position_embeddings.weight")):
            embedding += param.numel()
    return ParamCount(total=total, embedding=embedding)
