"""Step 4: names and paths, training overrides, target tree, and the resulting file plan."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Checkbox, Input, Static

from primus_tui.config.render import scalar_yaml
from primus_tui.tui.validators import CoreValidator, parse_scalar
from primus_tui.tui.widgets.field_row import FieldRow
from primus_tui.tui.widgets.file_plan import FilePlanView
from primus_tui.tui.widgets.step import StepPane
from primus_tui.tui.widgets.tickbox import TickBox

# (answers path, label) of the experiment meta rows; each maps to one core step call.
META_ROWS = (
    ("name", "model preset name"),
    ("experiment.file", "experiment file"),
    ("experiment.exp_name", "exp_name"),
    ("experiment.work_group", "work_group"),
    ("experiment.user_name", "user_name"),
    ("experiment.workspace", "workspace"),
    ("experiment.config", "module config"),
    ("target.primus_root", "target tree"),
)
OVERRIDE_ROWS = (
    "mock_data",
    "train_iters",
    "micro_batch_size",
    "global_batch_size",
    "seq_length",
    "lr",
    "min_lr",
    "tensor_model_parallel_size",
    "pipeline_model_parallel_size",
    "expert_model_parallel_size",
)


def _type_rule(key: str):
    """The core's type rule for a training override, as a plain `(value) -> (ok, message)`."""
    from primus_tui.wizard.schema import type_problem
    from primus_tui.wizard.rules import OVERRIDE_RULES

    rule = OVERRIDE_RULES.get(key)
    if rule is None:
        return None
    kinds, minimum = rule

    def check(value: object) -> tuple[bool, str]:
        problem = type_problem(key, value, kinds)
        if problem is not None:
            return False, problem.message
        if minimum is not None and isinstance(value, (int, float)) and not isinstance(value, bool) and value < minimum:
            return False, f"must be >= {minimum}, got {value}"
        return True, ""

    return check


class ExperimentStep(StepPane):
    """Meta rows, override rows (blank = not set), an `add key=value` row, the file plan."""

    DEFAULT_CSS = """
    #exp-meta, #exp-overrides {
        height: auto;
    }
    """

    STEP_ID = "experiment"
    TITLE = "Experiment"
    PURPOSE = "The experiment YAML that points at your model (the guide's step 4), and where both files go."

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._known: dict[str, str] = {}
        self._extra_keys: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static(self.PURPOSE, classes="purpose")
        yield Static("Names and paths", classes="section")
        with Vertical(id="exp-meta"):
            for path, label in META_ROWS:
                yield FieldRow(path, "", label=label, input_id=_id(path), wide_key=True)
        yield Static("Training overrides (blank: not set)", classes="section")
        with Vertical(id="exp-overrides"):
            for key in OVERRIDE_ROWS:
                rule = _type_rule(key)
                yield FieldRow(
                    f"experiment.overrides.{key}",
                    "",
                    label=key,
                    validators=[CoreValidator(rule, allow_blank=True)] if rule else [],
                    input_id=_id(f"overrides.{key}"),
                    wide_key=True,
                )
        yield Static("Initial weights", classes="section")
        yield TickBox("start from the model's own HF weights (converted when the files are written)",
                      id="exp-init-hf", compact=True)
        yield FieldRow("experiment.init.checkpoint", "", label="checkpoint folder", input_id="exp-init-checkpoint",
                       wide_key=True)
        yield Static("", id="exp-extra", classes="hint")
        yield FieldRow("add", "", label="add override", placeholder="key=value", input_id="exp-add", wide_key=True)
        yield Static("File plan", classes="section")
        yield FilePlanView(id="exp-plan")

    # -- state -> form -----------------------------------------------------------------------
    def fill(self, state: Any) -> None:
        for row in self.query(FieldRow):
            if row.key == "add":
                continue
            text = self._text_of(state, row.key)
            self._known[row.key] = text
            row.set_value(text)
        self.query_one("#exp-init-hf", TickBox).fill(state.answers.experiment.init.source == "hf")

    def _text_of(self, state: Any, path: str) -> str:
        a = state.answers
        exp = a.experiment
        if path == "name":
            return a.name or ""
        if path == "target.primus_root":
            return a.target.primus_root or ""
        if path.startswith("experiment.overrides."):
            key = path.removeprefix("experiment.overrides.")
            return scalar_yaml(exp.overrides[key]) if key in exp.overrides else ""
        if path == "experiment.init.checkpoint":
            return exp.init.checkpoint or ""
        value = getattr(exp, path.removeprefix("experiment."))
        return "" if value is None else str(value)

    def show(self, state: Any, view: Any) -> None:
        name = state.name or "<name>"
        placeholders = {
            "name": name,
            "experiment.file": state.experiment_file or f"{name}-pretrain.yaml",
            "experiment.exp_name": state.exp_name,
            "target.primus_root": "bundled tree",
            "experiment.overrides.seq_length": _seq_placeholder(state),
            "experiment.init.checkpoint": str(state.checkpoint_rel or f"checkpoints/{name}")
            + ("" if state.checkpoint_rel else " (with HF weights)"),
        }
        problems = view.problems if view is not None else []
        for row in self.query(FieldRow):
            if row.key in placeholders:
                row.input.placeholder = str(placeholders[row.key])
            hit = next((p for p in problems if p.path == row.key or p.path.startswith(row.key + " ")), None)
            row.set_state_message(hit.severity if hit else "", hit.message if hit else "")
        shown = {f"{k}" for k in OVERRIDE_ROWS}
        extra = {k: v for k, v in state.answers.experiment.overrides.items() if k not in shown}
        self.query_one("#exp-extra", Static).update(
            Content.styled("also set: " + ", ".join(f"{k}: {scalar_yaml(v)}" for k, v in extra.items())
                           + "  (remove one: key= in add override)", "$text-muted")
            if extra else ""
        )
        self.query_one(FilePlanView).show_view(view)

    # -- form -> state -------------------------------------------------------------------------
    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.id == "exp-init-hf":
            event.stop()
            source = "hf" if event.value else "random"
            self.edit("experiment.init.from", lambda s: s.with_init(source=source))

    def on_input_changed(self, event: Input.Changed) -> None:
        row = FieldRow.take_change(event)
        if row is None:
            return
        if row.key == "add" or self._known.get(row.key) == event.value:
            return
        self._known[row.key] = event.value
        self.edit(row.key, _apply_for(row.key, event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        row = next((a for a in event.input.ancestors if isinstance(a, FieldRow)), None)
        if row is None or row.key != "add":
            return
        event.stop()
        key, sep, raw = event.value.partition("=")
        key = key.strip()
        if not sep or not key:
            row.set_field_message("expected key=value, e.g. log_interval=1")
            return
        row.set_field_message("")
        event.input.value = ""
        if not raw.strip():  # `key=`: remove the override
            self.edit(f"experiment.overrides.{key}", lambda s: s.unset_override(key))
            if key in OVERRIDE_ROWS:
                self._known[f"experiment.overrides.{key}"] = ""
                self.query_one(f"#{_id('overrides.' + key)}", Input).value = ""
            return
        value = parse_scalar(raw)
        self.edit(f"experiment.overrides.{key}", lambda s: s.set_override(key, value))
        if key in OVERRIDE_ROWS:
            text = scalar_yaml(value)
            self._known[f"experiment.overrides.{key}"] = text
            self.query_one(f"#{_id('overrides.' + key)}", Input).value = text


def _seq_placeholder(state: Any) -> str:
    """What seq_length is when left blank, and why (never a bare 2048 that looks like the model's)."""
    seq = state.overrides().get("seq_length")
    mpe = state.fields().get("max_position_embeddings")
    return f"{seq} (default: min(2048, max_position_embeddings {mpe}))" if mpe else f"{seq} (default)"


def _id(path: str) -> str:
    return "exp-" + path.replace(".", "-").replace("_", "-")


def _apply_for(path: str, text: str):
    """The one core call a meta/override row makes."""
    stripped = text.strip()
    if path == "name":
        return lambda s: s.with_name(stripped or None)
    if path == "target.primus_root":
        return lambda s: s.with_target(stripped or None)
    if path == "experiment.init.checkpoint":
        return lambda s: s.with_init(checkpoint=stripped or None)
    if path.startswith("experiment.overrides."):
        key = path.removeprefix("experiment.overrides.")
        if not stripped:
            return lambda s: s.unset_override(key)
        value = parse_scalar(stripped)
        return lambda s: s.set_override(key, value)
    field = path.removeprefix("experiment.")
    if field in ("file", "exp_name"):
        return lambda s: s.with_experiment(**{field: stripped or None})
    return lambda s: s.with_experiment(**{field: stripped})
