"""The wizard's steps, declared once: the sidebar, the palette, help, "go to the step of this
problem" and the checklist labels are all derived from `STEPS` (the TUI adds only pane classes).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One step: what it is for, which answers it owns, and the seed checklist item it completes."""

    id: str
    title: str
    purpose: str  # one line: palette help and the help screen
    owns: tuple[str, ...]  # top-level answers keys whose problems this step shows and fixes
    check: str | None = None  # short label of the seed checklist item this step completes

    @property
    def number(self) -> int:
        return STEPS.index(self) + 1

    @property
    def label(self) -> str:
        """`Step 3: Architecture` (palette entries)."""
        return f"Step {self.number}: {self.title}"


STEPS: tuple[Step, ...] = (
    Step("model", "Model", "Hugging Face repo id (and revision) or a local folder / config.json", ("model",)),
    Step("base", "Base", "the preset the new model YAML extends (Option A or B)", ("base",), "Choose a base"),
    Step("arch", "Architecture", "Megatron fields prefilled from config.json, checked as you type",
         ("architecture", "accept_divergences", "primus_only_keys"), "Create model YAML"),
    Step("experiment", "Experiment", "experiment file, training overrides, target tree, the file plan",
         ("name", "experiment", "target"), "Point experiment"),
    Step("preview", "Preview", "the merged config exactly as Primus resolves it, with sources", ()),
    Step("launch", "Write & Launch", "write the files, then launch (or dry-run) primus-cli direct",
         ("overwrite", "launch"), "Run primus-cli"),
)
STEP_IDS: tuple[str, ...] = tuple(s.id for s in STEPS)
CHECK_LABELS: tuple[str, ...] = tuple(s.check for s in STEPS if s.check)


def step(step_id: str) -> Step:
    return next(s for s in STEPS if s.id == step_id)


def step_of(path: str) -> str:
    """The step that owns a problem at `path` in the answers (`experiment.overrides.lr` -> experiment)."""
    head = path.replace("[", ".").replace(" ", ".").split(".", 1)[0]
    return next((s.id for s in STEPS if head in s.owns), STEPS[0].id)
