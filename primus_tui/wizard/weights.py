"""The third planned output when `experiment.init.from: hf`: the converted weights' folder.

The plan says what will happen to it (convert / reuse / replace, refused without --force) and its
size on disk; writing runs `primus-tui convert` in a child process (torch stays out of the app's
process) after the model YAML is written, so the checkpoint is built from the very preset the
experiment trains. `convert` itself builds in a temp folder and renames it into place.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from primus_tui.weights import sidecar
from primus_tui.weights.folders import TRACKER
from primus_tui.wizard import derive

if TYPE_CHECKING:
    from primus_tui.launch.result import RunResult
    from primus_tui.launch.runner import GroupRun
    from primus_tui.wizard.state import WizardState

CHILD_ERROR = "primus-tui: error: "  # how the convert child says why it failed (repeated by conversion_failed)
BYTES_PER_PARAM = 2  # bf16, what convert writes by default


@dataclass(frozen=True)
class PlannedCheckpoint:
    rel: Path  # as written in the experiment's `load:` (relative to the Primus root unless absolute)
    path: Path
    action: str  # "convert" | "reuse" | "replace"
    size_bytes: int | None
    reason: str = ""

    @property
    def needs_force(self) -> bool:
        return self.action == "replace"

    @property
    def detail(self) -> str:
        """Its size on disk and why it is reused or replaced."""
        size = f"~{self.size_bytes / 1e9:.2f} GB" if self.size_bytes else ""
        return ", ".join(filter(None, (size, self.reason)))

    def render(self) -> str:
        what = {"convert": "convert HF weights into", "reuse": "reuse", "replace": "replace (needs --force)"}
        return f"  {what[self.action]} {self.rel}/" + (f" ({self.detail})" if self.detail else "") + "\n"


def planned_checkpoint(state: "WizardState", model_yaml: str) -> PlannedCheckpoint | None:
    """What writing will do to the checkpoint folder, judged against what is on disk now."""
    rel = derive.checkpoint_rel(state.answers, state.context)
    if rel is None or state.root is None:
        return None
    path = rel if rel.is_absolute() else state.root / rel
    count = state.param_count()
    size = count.total * BYTES_PER_PARAM if count is not None else None
    if not path.exists() or (path.is_dir() and not any(path.iterdir())):
        return PlannedCheckpoint(rel, path, "convert", size)
    if _model_yaml_of(path) == model_yaml:
        return PlannedCheckpoint(rel, path, "reuse", size, "converted for this model YAML already")
    why = "a checkpoint of another model" if (path / TRACKER).is_file() else "a folder that is no checkpoint of ours"
    return PlannedCheckpoint(rel, path, "replace", size, f"holds {why}")


def _model_yaml_of(path: Path) -> str | None:
    """The model YAML a checkpoint of ours was converted from (its sidecar's manifest)."""
    found = sidecar.find(path)
    try:
        return sidecar.read(found)[0].model_yaml if found is not None else None
    except (OSError, ValueError, TypeError):  # unreadable or not our manifest: not reusable
        return None


def convert_command(state: "WizardState", planned: PlannedCheckpoint) -> list[str]:
    """`primus-tui convert` for the answers' model into the planned folder (after the model YAML is
    written: convert builds from the tree's `<name>.yaml`)."""
    a = state.answers
    argv = [sys.executable, "-m", "primus_tui", "convert", str(a.model.ref), "--name", str(state.name),
            "--out", str(planned.path), "--primus-root", str(state.root)]
    revision = a.model.commit or getattr(state.hf, "commit_sha", None) or a.model.revision  # what was mapped
    if a.model.repo and revision:
        argv += ["--revision", revision]
    for key in a.accept_divergences:
        argv += ["--accept-divergence", key]
    if planned.action == "replace":
        argv.append("--force")
    return argv


def conversion_failed(planned: PlannedCheckpoint, result: "RunResult") -> str:
    """One line for a conversion that did not finish: how it ended and, unless cancelled, its last line."""
    last = f": {result.tail[-1].removeprefix(CHILD_ERROR)}" if result.tail and not result.cancelled else ""
    return f"converting the HF weights into {planned.rel} {result.summary}{last}"


def conversion_run(state: "WizardState", planned: PlannedCheckpoint, on_lines=None) -> "GroupRun":
    """The conversion as one process group (headless: `run_foreground`; the TUI: `.run()` in a worker);
    its progress lines go to `on_lines`."""
    from primus_tui.launch.runner import GroupRun

    return GroupRun(convert_command(state, planned), cwd=state.root, on_lines=on_lines)
