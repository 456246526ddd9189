"""What every pane needs from one state, computed once per change (the panes never call the core).

`build_view` only calls the core and catches its user errors so they can be shown in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Which step owns a problem, by the first part of its answers path.
STEP_OF_PATH = (
    ("model", "model"),
    ("base", "base"),
    ("name", "experiment"),
    ("architecture", "arch"),
    ("experiment", "experiment"),
    ("target", "experiment"),
    ("overwrite", "launch"),
    ("launch", "launch"),
)


def step_of(path: str) -> str:
    for prefix, step in STEP_OF_PATH:
        if path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "["):
            return step
    return "model"


@dataclass
class StateView:
    """Derived data for one state: problems by step, file plan, checklist, parameter count."""

    problems: list = field(default_factory=list)
    plan: Any = None
    plan_error: str = ""
    checklist: list = field(default_factory=list)
    param_count: Any = None

    @property
    def errors(self) -> list:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list:
        return [p for p in self.problems if p.severity != "error"]

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

        return StateView(problems=[Problem("", f"internal error: {type(exc).__name__}: {exc}")])


def _build_view(state: Any) -> StateView:
    from primus_tui.errors import UserError, one_line

    view = StateView(problems=list(state.problems()))
    if not view.errors:
        try:
            view.plan = state.plan()
        except UserError as exc:
            view.plan_error = one_line(exc)
    view.checklist = list(state.checklist(view.plan))
    view.param_count = state.param_count()
    return view


def preview_data(state: Any) -> tuple[Any, list, str, str]:
    """The staged resolution, the model preset against its base, and both YAML texts."""
    import yaml

    from primus_tui.config import deep_merge, diff_configs

    res = state.preview()
    model_yaml, exp_yaml = state.model_yaml(), state.experiment_yaml()
    own = yaml.safe_load(model_yaml) or {}
    own.pop("extends", None)
    merged, _ = deep_merge(state.base_values, {}, own, {})
    return res, diff_configs(state.base_values, merged), model_yaml, exp_yaml
