"""The file plan: for each file the answers produce, create / modify (with a unified diff) / unchanged.

The plan keeps the exact bytes it was made from, so `execute` can refuse when the disk changed
since (`primus_tui.files` compares them right before the swap).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from primus_tui.files import Change, FileConflict, FileWriteError, apply
from primus_tui.wizard.errors import WriteConflict, WriteFailed, WriteRefused

CREATE, MODIFY, UNCHANGED = "create", "modify", "unchanged"


@dataclass(frozen=True)
class PlannedFile:
    role: str  # "model" | "experiment"
    path: Path  # absolute
    display: str  # relative to the target root
    content: str
    action: str  # create | modify | unchanged
    old: str | None = None
    before: bytes | None = None  # the exact bytes on disk when planned (None: no file)

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
    try:
        before = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # a file where a folder should be: the write says so
        return PlannedFile(role, path, str(rel), content, CREATE)
    except OSError as exc:
        raise WriteFailed(f"{rel}: cannot read the existing file ({exc.strerror or exc})") from None
    try:
        old = before.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WriteFailed(f"{rel}: cannot read the existing file ({exc})") from None
    return PlannedFile(role, path, str(rel), content, UNCHANGED if old == content else MODIFY, old, before)


@dataclass(frozen=True)
class Written:
    """The files `execute` wrote, and where the replaced ones' old bytes are kept."""

    files: tuple[PlannedFile, ...]
    backups: tuple[tuple[str, Path], ...] = ()

    @property
    def names(self) -> list[str]:
        return [f.display for f in self.files]


def execute(plan: Plan, force: bool = False, policy: str = "never") -> Written:
    """Write every pending file as one transaction; refuse (exit 4) to replace a differing file unforced.

    `policy` is the answers file's `overwrite`: `force` there only takes effect with `force` (the
    command line's `--force`), so a shared answers file cannot overwrite someone's edits on its own.
    """
    if plan.conflicts and not force:
        names = ", ".join(f.display for f in plan.conflicts)
        hint = ("the answers say `overwrite: force`, which takes effect only with --force on the command line"
                if policy == "force" else "review the diff, then use --force")
        raise WriteRefused(f"{names}: exists and differs from what the answers produce; not overwritten ({hint})")
    pending = plan.pending
    try:
        applied = apply([Change(f.path, f.content, f.before, f.display) for f in pending], plan.root)
    except FileConflict as exc:
        raise WriteConflict(str(exc)) from None
    except FileWriteError as exc:
        raise WriteFailed(str(exc)) from None
    return Written(tuple(pending), applied.backups)
