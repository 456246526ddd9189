"""The core's verdict on a state: every problem, the file plan and the staged resolution, once.

Headless and the TUI both call `assess` and show its `problems` as they are: the status bar, the
step badges, the Preview, the write guard and the exit code all read this one list, so a state the
core calls blocking can be written from neither, and what headless accepts the TUI accepts.
The resolution of the planned files is part of the verdict (not a later surprise after writing):
a key that resolves to something Megatron reads differently from the answers blocks the write.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from primus_tui.errors import UserError, one_line
from primus_tui.megatron.meaning import same_meaning
from primus_tui.wizard.checks import check_state
from primus_tui.wizard.plan import Plan
from primus_tui.wizard.preview import Resolution, resolve, stage
from primus_tui.wizard.problems import Problem, errors_of, warnings_of
from primus_tui.wizard.weights import PlannedCheckpoint, planned_checkpoint

if TYPE_CHECKING:
    from primus_tui.wizard.state import WizardState

RESOLUTION = "resolution"


@dataclass(frozen=True)
class Verdict:
    """Problems (answers, HF, tree, checks and resolution), the plan and the staged resolution."""

    problems: tuple[Problem, ...]
    plan: Plan | None = None
    resolution: Resolution | None = None
    checkpoint: PlannedCheckpoint | None = None  # experiment.init.from: hf: the converted weights' folder

    @property
    def errors(self) -> list[Problem]:
        return errors_of(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return warnings_of(self.problems)

    @property
    def writable(self) -> bool:
        """Nothing blocks writing, and there is a plan to write."""
        return self.plan is not None and not any(p.blocks for p in self.problems)


def mismatches(state: "WizardState", resolved: dict) -> dict[str, tuple[object, object]]:
    """Model keys whose resolved value Megatron reads differently from the answers' (asked, got)."""
    out = {}
    context = {**resolved, **state.expected_architecture()}
    for key, asked in state.expected_architecture().items():
        got = resolved[key] if key in resolved else state.megatron_default(key)
        if not same_meaning(key, asked, got, state.registry, context):
            out[key] = (asked, got)
    return out


def resolution_problems(state: "WizardState", res: Resolution) -> list[Problem]:
    """What the resolved chain says about the answers: mismatches block, shadowing and dead keys warn."""
    out = [Problem(f"architecture.{key}", f"{state.experiment_rel}: resolves {key} to {got!r}, but the answers "
                                          f"ask for {asked!r}", source=RESOLUTION)
           for key, (asked, got) in res.mismatches.items()]
    for s in res.shadowed:
        if not s.fixed_by_override:
            out.append(Problem(f"experiment.overrides.{s.key}",
                               f"shadowed: {s.key}: model preset {s.model_value!r} ({s.model_source}) loses to module "
                               f"preset {s.module_value!r} ({s.module_source}); set experiment.overrides.{s.key} to choose",
                               "warning", RESOLUTION))
    ours = [str(p) for p in (state.model_rel, state.experiment_rel) if p is not None]
    for r in res.dead_keys:
        if r.source is not None and any(str(r.source.file or "").endswith(o) for o in ours):
            section = "experiment.overrides" if str(r.source.file or "").endswith(ours[-1]) else "architecture"
            out.append(Problem(f"{section}.{r.liveness.key}", f"dead key: {r.line()}", "warning", RESOLUTION))
    return out


def with_mismatches(state: "WizardState", res: Resolution) -> Resolution:
    return replace(res, mismatches=mismatches(state, res.values))


def preview(state: "WizardState") -> Resolution:
    """The merged module config as Primus would build it from the planned files (nothing written)."""
    files = {state.model_rel: state.model_yaml(), state.experiment_rel: state.experiment_yaml()}
    with stage(state.tree, files, state.base_chain) as staged:
        res = resolve(staged, state.experiment_rel, state.answers.experiment.module)
    return with_mismatches(state, res)


def verify(state: "WizardState") -> Resolution:
    """Resolve the written experiment; `mismatches` lists keys Megatron would read otherwise."""
    return with_mismatches(state, resolve(state.tree, state.experiment_rel, state.answers.experiment.module))


def assess(state: "WizardState", *, resolve: bool = True) -> Verdict:
    """Checks, then (when nothing blocks) the plan against the disk and the staged resolution."""
    problems = check_state(state)
    if errors_of(problems):
        return Verdict(tuple(problems))
    try:
        plan = state.plan()
    except UserError as exc:
        return Verdict((*problems, Problem("", one_line(exc), source="plan")))
    config = state.answers.experiment.config
    problems += [Problem(f"experiment.overrides.{key}", f"{key}: {config} sets {state.module_values[key]!r}, which "
                         f"beats the model file; the experiment repeats {key}: {value!r} under overrides",
                         "warning", "checks") for key, value in state.pinned().items()]
    resolution = None
    if resolve:
        try:
            resolution = preview(state)
        except UserError as exc:
            problems.append(Problem("", f"the planned files do not resolve: {one_line(exc)}", source=RESOLUTION))
        else:
            problems += resolution_problems(state, resolution)
    return Verdict(tuple(problems), plan, resolution, planned_checkpoint(state, plan.files[0].content))
