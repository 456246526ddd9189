"""The file plan: for each file the answers produce, create / modify (with a unified diff) / unchanged."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from primus_tui.wizard.errors import WriteFailed, WriteRefused
from primus_tui.wizard.fsio import write_files_atomic

CREATE, MODIFY, UNCHANGED = "create", "modify", "unchanged"


@dataclass(frozen=True)
class PlannedFile:
    role: str  # "model" | "experiment"
    path: Path  # absolute
    display: str  # relative to the target root
    content: str
    action: str  # create | modify | unchanged
    old: str | None = None

    @property
    def diff(self) -> str:
        """Unified diff of the existing file against the new text ("" unless modify)."""
        if self.action != MODIFY or self.old is None:
            return ""
        return "".join(
            difflib.unified_diff(
                self.old.splitlines(keepends=True),
                self.content.splitlines(keepends=True),
                fromfile=f"a/{self.display}",
                tofile=f"b/{self.display}",
            )
        )

    def to_dict(self, written: bool = False) -> dict:
        return {"role": self.role, "path": self.display, "action": self.action, "written": written, "diff": self.diff}


@dataclass(frozen=True)
class Plan:
    root: Path
    files: tuple[PlannedFile, ...]

    @property
    def conflicts(self) -> list[PlannedFile]:
        """Existing files the answers would change: never replaced without force."""
        return [f for f in self.files if f.action == MODIFY]

    @property
    def pending(self) -> list[PlannedFile]:
        return [f for f in self.files if f.action != UNCHANGED]

    def file(self, role: str) -> PlannedFile:
        return next(f for f in self.files if f.role == role)

    def render(self, diffs: bool = True) -> str:
        lines = []
        for f in self.files:
            lines.append(f"{f.action:>9}  {f.display}")
            if diffs and f.diff:
                lines.extend("           " + line for line in f.diff.rstrip("\n").split("\n"))
        return "\n".join(lines) + "\n"


def plan_file(role: str, root: Path, rel: Path, content: str) -> PlannedFile:
    path = root / rel
    if path.is_dir():
        raise WriteFailed(f"{rel}: is a directory; cannot write the {role} YAML there")
    if not path.exists():
        return PlannedFile(role, path, str(rel), content, CREATE)
    try:
        old = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise WriteFailed(f"{rel}: cannot read the existing file ({getattr(exc, 'strerror', None) or exc})") from None
    return PlannedFile(role, path, str(rel), content, UNCHANGED if old == content else MODIFY, old)


def execute(plan: Plan, force: bool = False) -> list[PlannedFile]:
    """Write every pending file atomically; refuse (exit 4) if any would replace a differing file."""
    if plan.conflicts and not force:
        names = ", ".join(f.display for f in plan.conflicts)
        raise WriteRefused(f"{names}: exists and differs from what the answers produce; not overwritten "
                           "(review the diff, then use --force or `overwrite: force`)")
    pending = plan.pending
    write_files_atomic([(f.path, f.content) for f in pending], plan.root)
    return pending
