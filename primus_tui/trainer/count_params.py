"""`python -m primus_tui.trainer.count_params`: parameters of the real megatron-core GPTModel.

Reads merged Megatron fields (a JSON object) on stdin, builds megatron-core's GPTModel on the
meta device (no memory, no init kernels) with the local layer specs, and prints
`{"total": N, "padded_vocab_size": V}` on stdout (a JSON list in gives a list out, one torch
import for many models). `total` includes the vocabulary padding rows. Used by `primus_tui.hf.megatron_param_count`
to check the analytic counts; run in a subprocess so the UI never imports torch.

Models the trainer can train (dense, MoE or MLA GPT; no MTP) are built with the trainer's
own builder (`primus_tui.trainer.arch` + `model`), so the count is exactly the model
`primus-cli` trains and prints in its banner. Others (MTP) use a
generic path following Megatron's `core_transformer_config_from_args` and `gpt_builder` for the
model-shape fields; anything else in the input is ignored (it cannot change the count).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import sys
import warnings

_RENAMES = {
    "norm_epsilon": "layernorm_epsilon",
    "num_experts": "num_moe_experts",
    "apply_layernorm_1p": "layernorm_zero_centered_gamma",
}
# Megatron args consumed by GPTModel(...) rather than TransformerConfig.
_MODEL_ARGS = {
    "untie_embeddings_and_output_weights", "position_embedding_type", "rotary_percent", "rotary_base",
    "use_rope_scaling", "rope_scaling_factor", "rotary_seq_len_interpolation_factor", "max_position_embeddings",
    "vocab_size", "swiglu",
}


def _padded_vocab(vocab: int, divisible_by: int, tp: int) -> int:
    multiple = divisible_by * tp
    return -(-vocab // multiple) * multiple


def _moe_layer_freq(value):
    if isinstance(value, str):
        text = value.strip()
        return int(text) if text.isdigit() else list(eval(compile(ast.parse(text, mode="eval"), "<moe_layer_freq>", "eval"), {"__builtins__": {}}))
    return value


def _config(fields: dict):
    import torch.nn.functional as F
    from megatron.core.transformer import TransformerConfig
    from megatron.core.transformer.transformer_config import MLATransformerConfig

    mla = bool(fields.get("multi_latent_attention"))
    cls = MLATransformerConfig if mla else TransformerConfig
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in fields.items():
        if key in _MODEL_ARGS and key not in names:
            continue
        target = _RENAMES.get(key, key)
        if target in names:
            kwargs[target] = value  # None too: it means "off"/"derive", not "use the dataclass default"
    if not fields.get("group_query_attention"):
        kwargs.pop("num_query_groups", None)
    if "moe_layer_freq" in kwargs:
        kwargs["moe_layer_freq"] = _moe_layer_freq(kwargs["moe_layer_freq"])
    if kwargs.get("window_size") is not None:
        kwargs["window_size"] = tuple(kwargs["window_size"])
    if fields.get("swiglu"):
        kwargs.update(gated_linear_unit=True, activation_func=F.silu)
    if not fields.get("num_experts"):
        for key in [k for k in kwargs if k.startswith("moe_")]:
            kwargs.pop(key)
    kwargs.update(
        use_cpu_initialization=True, perform_initialization=False, bias_activation_fusion=False,
        bias_dropout_fusion=False, apply_rope_fusion=False, masked_softmax_fusion=False,
        gradient_accumulation_fusion=False, persist_layer_norm=False, moe_grouped_gemm=False,
        tensor_model_parallel_size=1, pipeline_model_parallel_size=1, expert_model_parallel_size=1,
        context_parallel_size=1, sequence_parallel=False,
    )
    return cls(**kwargs)


def _stub_core_attention():
    import torch

    class NoParamCoreAttention(torch.nn.Module):
        def __init__(self, *args, **kwargs):
            super().__init__()

    return NoParamCoreAttention


def _trainer_builder_count(fields: dict) -> dict | None:
    """Count with the trainer's builder, or None when the trainer would not build this model."""
    if fields.get("mtp_num_layers"):
        return None
    import torch

    from primus_tui.trainer.arch import architecture, padded_vocab_size
    from primus_tui.trainer.errors import UnsupportedConfig
    from primus_tui.trainer.model import build_gpt, count_parameters, transformer_config

    # Parallel sizes and precision do not change the model's total; only the vocab padding uses TP.
    shape = {**fields, "tensor_model_parallel_size": 1, "pipeline_model_parallel_size": 1,
             "expert_model_parallel_size": 1, "context_parallel_size": 1, "fp16": False, "fp8": None,
             "reset_attention_mask": False}
    try:
        arch = architecture(shape)
        if arch.vocab_size is None:
            return None
        padded = padded_vocab_size(arch.vocab_size, fields.get("make_vocab_size_divisible_by") or 128,
                                   fields.get("tensor_model_parallel_size") or 1)
        arch = dataclasses.replace(arch, padded_vocab_size=padded)
        config = transformer_config(arch, bf16=False, cpu_init=True, initialize=False)
    except UnsupportedConfig:
        return None
    with torch.device("meta"):
        model = build_gpt(arch, config)
    return {"total": count_parameters(model).total, "padded_vocab_size": padded}


def count(fields: dict) -> dict:
    import torch
    import torch.distributed as dist
    from megatron.core import parallel_state
    from megatron.core.models.gpt import GPTModel
    from megatron.core.models.gpt.gpt_layer_specs import get_gpt_decoder_block_spec, get_gpt_mtp_block_spec

    if not dist.is_initialized():
        dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    if not parallel_state.model_parallel_is_initialized():
        parallel_state.initialize_model_parallel(1, 1)
    if not torch.cuda.is_available():
        # megatron-core's MLA builds YarnRotaryEmbedding on torch.cuda.current_device() regardless of
        # use_cpu_initialization; it holds no parameters, so a CPU device is fine for counting.
        torch.cuda.current_device = lambda: "cpu"
    found = _trainer_builder_count(fields)
    if found is not None:
        return found
    config = _config(fields)
    padded = _padded_vocab(int(fields["vocab_size"]), int(fields.get("make_vocab_size_divisible_by") or 128),
                           int(fields.get("tensor_model_parallel_size") or 1))
    spec = get_gpt_decoder_block_spec(config, use_transformer_engine=False, normalization=config.normalization)
    if fields.get("multi_latent_attention"):
        from megatron.core.transformer import multi_latent_attention as mla_module

        if not isinstance(getattr(mla_module, "TELinear", None), type):
            mla_module.HAVE_TE = False  # without Transformer Engine its TE names are MagicMock placeholders
        # The local MLA spec's DotProductAttention rejects MLA's k_channels/v_channels in
        # megatron-core 0.16; core attention holds no parameters, so a stub counts the same.
        stub = _stub_core_attention()
        for layer in spec.layer_specs:
            layer.submodules.self_attention.submodules.core_attention = stub
    mtp_spec = None
    if fields.get("mtp_num_layers"):
        mtp_spec = get_gpt_mtp_block_spec(config, spec, use_transformer_engine=False)
    with torch.device("meta"):
        model = GPTModel(
            config=config, transformer_layer_spec=spec, vocab_size=padded,
            max_sequence_length=int(fields.get("max_position_embeddings") or 4096),
            share_embeddings_and_output_weights=not fields.get("untie_embeddings_and_output_weights", True),
            position_embedding_type=fields.get("position_embedding_type") or "learned_absolute",
            rotary_percent=float(fields.get("rotary_percent") or 1.0),
            rotary_base=int(fields.get("rotary_base") or 10000),
            rope_scaling=bool(fields.get("use_rope_scaling")),
            rope_scaling_factor=float(fields.get("rope_scaling_factor") or 8.0),
            seq_len_interpolation_factor=fields.get("rotary_seq_len_interpolation_factor"),
            mtp_block_spec=mtp_spec,
        )
    seen: set[int] = set()
    total = 0
    for param in model.parameters():
        if id(param) not in seen:
            seen.add(id(param))
            total += param.numel()
    return {"total": total, "padded_vocab_size": padded}


def main() -> int:
    try:
        payload = json.load(sys.stdin)
        batch = payload if isinstance(payload, list) else [payload]
        if not all(isinstance(fields, dict) for fields in batch):
            raise ValueError("stdin must be a JSON object of Megatron fields (or a list of them)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = [count(fields) for fields in batch]
        result = results if isinstance(payload, list) else results[0]
    except Exception as exc:  # noqa: BLE001 - reported as one line to the caller
        print(f"count_params: {type(exc).__name__}: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
