"""Where a resolved value came from: a file and line, the experiment's overrides, the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Union


@dataclass(frozen=True)
class Source:
    """Origin of one resolved key."""

    kind: str  # "file" | "overrides" | "cli" | "primus"
    file: str | None = None
    line: int | None = None
    env_vars: tuple[str, ...] = field(default=())
    note: str = ""
    # What this key held before this source set it, oldest first: (value, source) per earlier file.
    history: tuple[tuple[object, "Source"], ...] = field(default=(), compare=False, repr=False)

    def __str__(self) -> str:
        if self.kind == "cli":
            text = "CLI override"
        elif self.kind == "primus":
            text = f"set by Primus parser ({self.note})" if self.note else "set by Primus parser"
        else:
            text = f"{self.file}:{self.line}" if self.line else str(self.file)
            if self.kind == "overrides":
                text = f"overrides @ {text}"
        if self.env_vars:
            text += " (env " + ", ".join("$" + v for v in self.env_vars) + ")"
        return text

    def to_dict(self) -> dict:
        return {"kind": self.kind, "file": self.file, "line": self.line, "env": list(self.env_vars), "text": str(self)}

    def as_kind(self, kind: str) -> "Source":
        return replace(self, kind=kind)

    def over(self, value: object, previous: "Source") -> "Source":
        """This source, having replaced `value` that `previous` set (its history kept)."""
        earlier = previous.history + ((value, replace(previous, history=())),)
        return replace(self, history=earlier)


# Public, flat provenance map: dotted key path -> Source (leaves only).
Sources = dict[str, Source]
# Internal: the same shape as the data (a dict where the data has a non-empty dict).
SourceTree = dict[str, Union[Source, "SourceTree"]]


def flatten_sources(tree: SourceTree, prefix: str = "") -> Sources:
    out: Sources = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten_sources(value, path + "."))
        else:
            out[path] = value
    return out


def uniform(data: object, source: Source) -> Source | SourceTree:
    """A source tree giving every leaf of `data` the same source (CLI values, set keys)."""
    if isinstance(data, dict) and data:
        return {k: uniform(v, source) for k, v in data.items()}
    return source


def map_tree(tree: Source | SourceTree, fn) -> Source | SourceTree:
    if isinstance(tree, dict):
        return {k: map_tree(v, fn) for k, v in tree.items()}
    return fn(tree)
