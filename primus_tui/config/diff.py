"""Key-by-key difference of two resolved configs."""

from __future__ import annotations

from dataclasses import dataclass

from primus_tui.config.merge import flatten

MISSING = object()


@dataclass(frozen=True)
class DiffEntry:
    key: str
    kind: str  # "added" | "removed" | "changed"
    old: object
    new: object


def diff_configs(old: dict, new: dict) -> list[DiffEntry]:
    """Leaves that differ between `old` and `new`, in `old`'s key order then `new`'s."""
    a, b = flatten(old), flatten(new)
    out: list[DiffEntry] = []
    for key, value in a.items():
        if key not in b:
            out.append(DiffEntry(key, "removed", value, None))
        elif b[key] != value or type(b[key]) is not type(value):
            out.append(DiffEntry(key, "changed", value, b[key]))
    out.extend(DiffEntry(key, "added", None, value) for key, value in b.items() if key not in a)
    return out
