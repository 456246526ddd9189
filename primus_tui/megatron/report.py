"""Liveness of a resolved module, joined with provenance: which file and line set each dead key.

Pure presentation data for front ends (`primus-tui resolve`); the verdicts come from liveness.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from primus_tui.config.source import Source, SourceTree
from primus_tui.megatron.liveness import KeyLiveness, choice_errors, classify
from primus_tui.megatron.registry import Registry


@dataclass(frozen=True)
class KeyReport:
    """One key's verdict and where its value came from (None: set by Primus itself)."""

    liveness: KeyLiveness
    source: Source | None
    from_preset: bool

    def to_dict(self) -> dict[str, Any]:
        live = self.liveness
        return {
            "key": live.key,
            "status": live.status,
            "reason": live.reason,
            "suggestion": live.suggestion,
            "source": self.source.to_dict() if self.source else None,
            "from_preset": self.from_preset,
        }

    def line(self) -> str:
        where = f" ({self.source})" if self.source else ""
        hint = f"; did you mean {self.liveness.suggestion}?" if self.liveness.suggestion else ""
        return f"{self.liveness.status}: {self.liveness.key}{where}: {self.liveness.reason}{hint}"


def first_source(node: Source | SourceTree | None) -> Source | None:
    """A top-level key's source; for a mapping value, its first leaf's."""
    while isinstance(node, dict):
        node = next(iter(node.values()), None)
    return node


def is_preset(source: Source | None, tree_root: Path, configs_dir: Path) -> bool:
    """True when the value comes from one of Primus's own presets (not the user's experiment)."""
    if source is None or source.kind == "primus":
        return True
    if source.kind != "file" or not source.file:
        return False
    path = Path(source.file)
    path = path if path.is_absolute() else tree_root / path
    try:
        path.resolve().relative_to(configs_dir.resolve())
    except ValueError:
        return False
    return True


def key_reports(
    values: Mapping[str, Any],
    source_tree: SourceTree,
    registry: Registry,
    tree_root: Path,
    configs_dir: Path,
) -> dict[str, KeyReport]:
    """Every top-level key of a module with its verdict and origin, in the module's order."""
    verdicts = classify(values, registry)
    out = {}
    for key, verdict in verdicts.items():
        source = first_source(source_tree.get(key))
        out[key] = KeyReport(verdict, source, is_preset(source, tree_root, configs_dir))
    return out


def choice_problems(values: Mapping[str, Any], source_tree: SourceTree, registry: Registry) -> list[str]:
    """`choice_errors`, each prefixed with the file:line that set the value."""
    problems = []
    for message in choice_errors(values, registry):
        key = message.split(":", 1)[0]
        source = first_source(source_tree.get(key))
        problems.append(f"{source}: {message}" if source else message)
    return problems
