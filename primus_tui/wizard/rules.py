"""Typed rules for the common training overrides, shared by the checks and the Experiment step."""

from __future__ import annotations

# Typed rules for the common training overrides: (kinds, minimum).
OVERRIDE_RULES: dict[str, tuple[tuple[str, ...], float | None]] = {
    "mock_data": (("bool",), None),
    "train_iters": (("int",), 1),
    "micro_batch_size": (("int",), 1),
    "global_batch_size": (("int",), 1),
    "seq_length": (("int",), 1),
    "lr": (("float",), 0),
    "min_lr": (("float",), 0),
    "tensor_model_parallel_size": (("int",), 1),
    "pipeline_model_parallel_size": (("int",), 1),
    "expert_model_parallel_size": (("int",), 1),
    "context_parallel_size": (("int",), 1),
    "save": (("str", "null"), None),
    "disable_last_saving": (("bool",), None),
}
PARALLEL_KEYS = ("tensor_model_parallel_size", "pipeline_model_parallel_size", "expert_model_parallel_size",
                 "context_parallel_size")
