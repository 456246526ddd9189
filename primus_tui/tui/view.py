"""Everything the panes show for one state, computed once, off the UI thread.

`build_view` runs in a thread worker: the core's derived data (base ranking, checks, file plan,
staged resolution) can take a few hundred milliseconds, and typing must never wait for it. The
panes then read only this view (and cheap, already-cached state attributes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from primus_tui.steps import step_of


@dataclass
class PreviewData:
    """The staged resolution, the new model preset against its base, and the two file texts."""

    resolution: Any
    base_diff: list
    model_yaml: str
    experiment_yaml: str


@dataclass
class StateView:
    """Derived data for one state: problems by step, ranking, file plan, checklist, counts, preview."""

    state: Any = None
    problems: list = field(default_factory=list)
    bases: list = field(default_factory=list)
    base_candidate: Any = None
    plan: Any = None
    plan_error: str = ""
    checkpoint: Any = None  # wizard.weights.PlannedCheckpoint (experiment.init.from: hf)
    checklist: list = field(default_factory=list)
    param_count: Any = None
    preview: PreviewData | None = None
    preview_error: str = ""

    @property
    def errors(self) -> list:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list:
        return [p for p in self.problems if p.severity != "error"]

    @property
    def write_blocked(self) -> str:
        """Why the wizard's files cannot be planned (the file plan's line), or "" when they can."""
        if self.plan is not None or not self.errors:
            return ""
        return f"The wizard's files cannot be written yet: {len(self.errors)} problem(s): {self.errors[0]}"

    def problems_for(self, step: str) -> list:
        return [p for p in self.problems if step_of(p.path) == step]

    def errors_for(self, step: str) -> list:
        return [p for p in self.errors if step_of(p.path) == step]


def build_view(state: Any) -> StateView:
    """Never raises: a core failure becomes a problem shown in the UI (not a traceback)."""
    try:
        return _build_view(state)
    except Exception as exc:  # noqa: BLE001 - last line of defence for the UI
        from primus_tui.wizard import Problem

        return StateView(state=state, problems=[Problem("", f"internal error: {type(exc).__name__}: {exc}")])


def _build_view(state: Any) -> StateView:
    """The core's verdict (problems, plan, staged resolution) plus what the panes read."""
    from primus_tui.errors import UserError, one_line
    from primus_tui.wizard.checklist import build_checklist
    from primus_tui.wizard.verdict import assess

    verdict = assess(state)
    view = StateView(state=state, problems=list(verdict.problems), plan=verdict.plan, checkpoint=verdict.checkpoint)
    view.plan_error = next((p.message for p in verdict.problems if p.source == "plan"), "")
    view.bases = list(state.bases)
    view.base_candidate = state.base_candidate
    view.checklist = build_checklist(state, view.plan, verdict.problems)
    view.param_count = state.param_count()
    # Warm what the panes read, so rendering on the UI thread never computes.
    state.fields(), state.overrides(), state.pinned(), state.known_keys
    if verdict.resolution is not None:
        try:
            view.preview = PreviewData(verdict.resolution, state.base_diff(), state.model_yaml(), state.experiment_yaml())
        except UserError as exc:
            view.preview_error = one_line(exc)
    return view
