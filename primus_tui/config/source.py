"""Where a resolved value came from: a file and line, the experiment's overrides, the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """Origin of one resolved key."""

    kind: str  # "file" | "overrides" | "cli" | "primus"
    file: str | None = None
    line: int | None = None
    env_vars: tuple[str, ...] = field(default=())
    note: str = ""

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
        return {
            "kind": self.kind,
            "file": self.file,
            "line": self.line,
            "env": list(self.env_vars),
            "text": str(self),
        }


# Flat provenance map: dotted key path -> Source (leaves only).
Sources = dict[str, Source]


def prefixed(sources: Sources, prefix: str) -> Sources:
    """Sources re-rooted under `prefix.`."""
    return {f"{prefix}.{k}": v for k, v in sources.items()}


def drop_subtree(sources: Sources, key: str) -> None:
    """Remove `key` and everything under `key.` (the value at key was replaced)."""
    dotted = key + "."
    for k in [k for k in sources if k == key or k.startswith(dotted)]:
        del sources[k]


def subtree(sources: Sources, key: str) -> Sources:
    """Sources under `key.`, with the prefix stripped."""
    dotted = key + "."
    return {k[len(dotted):]: v for k, v in sources.items() if k.startswith(dotted)}
