"""The seed's four-step checklist, each step done or with the reason it is not."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence
from typing import TYPE_CHECKING

from primus_tui.wizard.checks import check_state
from primus_tui.wizard.problems import Problem, errors_of

if TYPE_CHECKING:
    from primus_tui.wizard.plan import Plan
    from primus_tui.wizard.state import WizardState


@dataclass(frozen=True)
class ChecklistItem:
    step: int
    title: str
    done: bool
    reason: str  # what was done, or why not

    def render(self) -> str:
        mark = "✓" if self.done else " "
        return f"[{mark}] {self.step}. {self.title}: {self.reason}"

    def to_dict(self) -> dict:
        return {"step": self.step, "title": self.title, "done": self.done, "reason": self.reason}


def _file_reason(plan: "Plan | None", role: str, blocked: str | None, written: frozenset[str]) -> tuple[bool, str]:
    if plan is None:
        return False, blocked or "not planned yet"
    f = plan.file(role)
    if f.action == "unchanged":
        return True, f"{f.display} written" if f.display in written else f"{f.display} already on disk, identical to the plan"
    if f.action == "create":
        return False, f"{f.display} not written yet (would create)"
    return False, f"{f.display} exists and differs (would modify; needs --force)"


def build_checklist(s: "WizardState", plan: "Plan | None" = None,
                    problems: "Sequence[Problem] | None" = None) -> list[ChecklistItem]:
    """Each step done or why not; `problems`: the verdict's (checked again when not given)."""
    errors = errors_of(check_state(s) if problems is None else problems)
    blocked = f"blocked: {errors[0]}" + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else "") if errors else None
    if plan is None and not errors:
        try:
            plan = s.plan()
        except Exception as exc:  # noqa: BLE001 - the checklist reports, never raises
            blocked = f"blocked: {' '.join(str(exc).split())}"

    base_errors = [p for p in errors if p.path in ("base", "target.primus_root") or p.path.startswith("model")]
    if not s.answers.model.ref:
        step1 = (False, "no model chosen yet")
    elif s.base and not base_errors and s.tree is not None:
        label = s.base_option()
        option = f" (option {label})" if label else ""
        step1 = (True, f"{s.base}{option}")
    else:
        step1 = (False, f"blocked: {base_errors[0]}" if base_errors else "no model chosen yet")

    name = s.name or "<name>"
    step2 = _file_reason(plan, "model", blocked, s.written)
    accepted = s.mapping.accepted if s.mapping is not None else []
    if accepted:
        named = "; ".join(f"{d.key}: {d.summary()}" for d in accepted)
        step2 = (step2[0], f"{step2[1]}; accepted divergence: {named}")
    step3 = _file_reason(plan, "experiment", blocked, s.written)

    exp = str(s.experiment_rel) if s.experiment_rel else "<experiment>"
    command = f"./primus-cli direct -- train pretrain --config {exp}"
    run = s.run
    if run is not None and run.mode == "run" and run.exit_code == 0:
        step4 = (True, "training run finished (exit 0)")
    elif run is not None and run.exit_code != 0:
        step4 = (False, f"{run.mode} failed (exit {run.exit_code})")
    elif run is not None:
        step4 = (False, "dry run only: command and config checked, not trained (launch: run)")
    elif not (step2[0] and step3[0]):
        step4 = (False, "files not written yet")
    else:
        step4 = (False, f"not run (launch: none); run: {command}")

    return [
        ChecklistItem(1, "Choose a base model preset", *step1),
        ChecklistItem(2, f"Create primus/configs/models/megatron/{name}.yaml", *step2),
        ChecklistItem(3, f"Point an experiment at model: {name}.yaml", *step3),
        ChecklistItem(4, "Run primus-cli direct -- train pretrain", *step4),
    ]
