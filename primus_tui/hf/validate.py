"""Field-level and cross-field checks on Megatron model fields."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    severity: str = "error"  # "error" | "warning"


FIELD_VALIDATORS: dict[str, Callable[[object], tuple[bool, str]]] = {}


def validate_fields(
    fields: dict,
    *,
    seq_length: int | None = None,
    tensor_model_parallel_size: int = 1,
    pipeline_model_parallel_size: int = 1,
    expert_model_parallel_size: int = 1,
    context_parallel_size: int = 1,
    make_vocab_size_divisible_by: int = 128,
    num_gpus: int | None = None,
) -> list[Problem]:
    raise NotImplementedError
