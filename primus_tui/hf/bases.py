"""Rank the tree's model presets as `extends` bases for an HF model."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BaseCandidate:
    name: str
    family_match: bool
    overrides: dict[str, tuple[object, object]] = field(default_factory=dict)
    reason: str = ""
    option: str | None = None  # "A" (language_model.yaml) | "B" (closest family preset) | None


def rank_bases(mapping, tree) -> list[BaseCandidate]:
    raise NotImplementedError
