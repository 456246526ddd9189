"""Compare Primus's hand-written model presets with the HF configs they name."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Divergence:
    key: str
    preset_value: object
    hf_value: object
    hf_key: str
    kind: str  # "architecture" | "deliberate"


@dataclass
class AuditResult:
    preset: str
    repo_id: str | None
    status: str  # "ok" | "mismatch" | "skipped (not cached)" | "skipped (no HF repo)" | "error"
    divergences: list[Divergence] = field(default_factory=list)
    message: str = ""


def audit_presets(tree, presets: list[str] | None = None, hf_overrides: dict[str, str] | None = None) -> list[AuditResult]:
    raise NotImplementedError
