"""The experiments a tree offers: every YAML under a `configs` folder of `examples/` (Primus's layout:
examples/<framework>/configs/<platform>/<name>.yaml), for the TUI's "open experiment" list."""

from __future__ import annotations

from pathlib import Path


def list_experiments(root: Path) -> list[Path]:
    """Sorted absolute paths; an empty list when the tree has no examples folder."""
    examples = Path(root) / "examples"
    if not examples.is_dir():
        return []
    found = [p for p in examples.rglob("*.yaml") if "configs" in p.relative_to(examples).parts[:-1]]
    return sorted(p.resolve() for p in found if p.is_file())
