"""HF config.json -> Megatron argument names and values, per model_type."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ModelMapping:
    """Megatron fields for one HF config, with provenance for every HF key."""

    model_type: str
    family: str
    fields: dict[str, object] = field(default_factory=dict)
    hf_source: dict[str, str] = field(default_factory=dict)
    ignored: dict[str, str] = field(default_factory=dict)
    unsupported: list[tuple[str, str]] = field(default_factory=list)


def map_config(cfg) -> ModelMapping:
    raise NotImplementedError
