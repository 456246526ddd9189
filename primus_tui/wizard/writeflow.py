"""One write-then-verify flow, used by headless and the TUI: recover, write the plan, resolve what was written.

Why one: the two front ends used to write and verify each in their own way and said different things
about the same outcome. The screen only asks (overwrite? write?) and shows `WriteOutcome.summary()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from primus_tui import errors as user_errors
from primus_tui.wizard.plan import Plan, PlannedFile, Written, execute
from primus_tui.files import STATE_DIR, pending, recover
from primus_tui.wizard.verdict import verify

if TYPE_CHECKING:
    from primus_tui.wizard.preview import Resolution
    from primus_tui.wizard.state import WizardState


@dataclass(frozen=True)
class WriteOutcome:
    """What one write did: the files written, the backups kept, and the resolution of the written tree."""

    written: Written
    resolution: "Resolution | None"
    error: str | None = None  # the written files do not resolve (one line)

    @property
    def files(self) -> tuple[PlannedFile, ...]:
        return self.written.files

    @property
    def mismatches(self) -> dict[str, tuple[object, object]]:
        return self.resolution.mismatches if self.resolution is not None else {}

    def backup_lines(self) -> list[str]:
        return [f"kept the old {name} as {path}" for name, path in self.written.backups]

    def summary(self, root: Path | None = None) -> str:
        """One line for the TUI's status: what was written, where the old bytes are, whether it resolves."""
        names = ", ".join(self.written.names) or "nothing"
        kept = "".join(f"; old {name} kept in {_shown(path, root)}" for name, path in self.written.backups)
        if self.error is not None:
            return f"Wrote {names}{kept}, but the written files do not resolve: {self.error}"
        if self.mismatches:
            bad = "; ".join(f"{k}: resolves {g!r}, asked {a!r}" for k, (a, g) in self.mismatches.items())
            return f"Wrote {names}{kept}, but the resolved config differs: {bad}"
        return f"Wrote {names}{kept}. The written files resolve to the asked architecture."


def target_folders(state: "WizardState") -> list[Path]:
    root = state.tree.root if state.tree is not None else None
    rels = [p for p in (state.model_rel, state.experiment_rel) if p is not None]
    return [root / rel.parent for rel in rels] if root is not None else []


def recover_state(state: "WizardState") -> list[str]:
    """Roll back an interrupted write of a dead primus-tui in the target tree; what was done, one line each."""
    if state.tree is None:
        return []
    return recover(state.tree.root, target_folders(state))


def pending_note(state: "WizardState") -> str | None:
    """For `--pretend` (which changes nothing): say that an interrupted write waits to be rolled back."""
    if state.tree is None or not (journals := pending(state.tree.root)):
        return None
    return (f"{len(journals)} interrupted write(s) in {STATE_DIR}/ will be rolled back by the next run "
            "without --pretend")


def write_then_verify(state: "WizardState", plan: Plan, *, force: bool) -> WriteOutcome:
    """Write `plan` as one transaction (WriteRefused / WriteConflict / WriteFailed), then resolve it."""
    written = execute(plan, force=force, policy=state.answers.overwrite)
    try:
        return WriteOutcome(written, verify(state))
    except Exception as exc:
        if not isinstance(exc, user_errors.UserError):  # read at call time: packages register theirs late
            raise
        return WriteOutcome(written, None, user_errors.one_line(exc))


def _shown(path: Path, root: Path | None) -> str:
    try:
        return str(path.relative_to(root)) if root is not None else str(path)
    except ValueError:
        return str(path)
