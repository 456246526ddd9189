"""Analytic parameter counts, from the HF config and from the Megatron fields."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ParamCount:
    total: int
    embedding: int
    output_layer: int
    non_embedding: int
    vocab_padding: int = 0
    breakdown: dict[str, int] = field(default_factory=dict)


def param_count_from_hf(data: dict) -> ParamCount:
    raise NotImplementedError


def param_count_from_fields(fields: dict, *, make_vocab_size_divisible_by: int = 128, tensor_model_parallel_size: int = 1) -> ParamCount:
    raise NotImplementedError
