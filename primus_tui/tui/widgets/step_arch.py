"""Step 3: the Megatron fields, prefilled from config.json, each with its HF source key.

Live checks: the core's single-field rules on every keystroke (Input validators), the core's
cross-field checks on every state change. The traps of the manual recipe are listed with what the
chosen base would otherwise give.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static

from primus_tui.config.render import scalar_yaml
from primus_tui.tui.validators import CoreValidator, parse_scalar
from primus_tui.tui.widgets.field_row import FieldRow
from primus_tui.tui.widgets.step import StepPane


class ArchStep(StepPane):
    """A row per Megatron field; editing one sets the answer (the core drops one equal to HF's)."""

    DEFAULT_CSS = """
    #arch-params {
        height: auto;
    }

    #arch-fields {
        height: auto;
        margin-top: 1;
    }

    #arch-problems {
        color: $text-error;
        height: auto;
        margin-top: 1;
    }
    """

    BINDINGS = [Binding("f2", "reset_field", "Reset to HF value")]

    STEP_ID = "arch"
    TITLE = "Architecture"
    PURPOSE = "Megatron fields from config.json (HF key on the right). Edit any value; checks run as you type."

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._keys: list[str] = []
        self._hf: Any = None  # the fetched config the rows were built for
        self._traps: set[str] = set()
        self._known_text: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(self.PURPOSE, classes="purpose")
        yield Static("", id="arch-params")
        yield Static("", id="arch-unsupported", classes="error-box")
        yield Static("", id="arch-empty", classes="hint")
        yield Vertical(id="arch-fields")
        yield Static("", id="arch-problems")
        yield Static("", id="arch-traps", classes="warn-box")

    def on_mount(self) -> None:
        for box in ("#arch-unsupported", "#arch-traps", "#arch-problems"):
            self.query_one(box).display = False

    # -- state -> form -----------------------------------------------------------------------
    def show(self, state: Any, view: Any) -> None:
        mapping = state.mapping
        empty = self.query_one("#arch-empty", Static)
        empty.display = mapping is None
        empty.update("Fetch a model first (step 1).")
        self._traps = self._trap_keys(view)
        fields = state.fields() if mapping is not None else {}
        keys = list(fields)
        if keys != self._keys or state.hf is not self._hf:
            # Another model (same keys, other values) or other keys: the rows show this model's values.
            self._keys, self._hf = keys, state.hf
            self._rebuild(state, fields)
        else:
            for row in self.query(FieldRow):
                row.set_source(self._source(state, row.key))
        self._show_params(view)
        self._show_unsupported(mapping)
        self._show_traps(state, view)
        self._show_problems(view)

    def _source(self, state: Any, key: str) -> str:
        text = state.field_source(key).removeprefix("HF ")
        if key in state.answers.architecture:
            hf_key = state.mapping.hf_source.get(key) if state.mapping is not None else None
            text = f"edited (HF {hf_key})" if hf_key else "edited"
        return f"⚠ {text}" if key in self._traps else text

    def _rebuild(self, state: Any, fields: dict) -> None:
        from primus_tui.hf import FIELD_VALIDATORS

        box = self.query_one("#arch-fields", Vertical)
        box.remove_children()
        rows = []
        for key, value in fields.items():
            text = scalar_yaml(value)
            self._known_text[key] = text
            rule = FIELD_VALIDATORS.get(key)
            rows.append(
                FieldRow(
                    key,
                    text,
                    self._source(state, key),
                    validators=[CoreValidator(rule)] if rule else [],
                    input_id=f"arch-{key}",
                )
            )
        box.mount_all(rows)

    def _show_params(self, view: Any) -> None:
        count = getattr(view, "param_count", None)
        widget = self.query_one("#arch-params", Static)
        if view is not None and view.state is not None and view.state.mapping is not None and (
            count is None or view.errors_for("arch")
        ):
            # A count of an invalid architecture (e.g. a negative layer count) would only mislead.
            widget.update(Content.assemble(("Parameters: ", "bold"), ("— (fix the fields marked ✖)", "$text-muted")))
            return
        if count is None:
            widget.update("")
            return
        parts = [
            Content.styled(f"Parameters: {count.total:,}", "bold"),
            Content.styled(
                f"  (embedding {count.embedding:,}, output {count.output_layer:,}, non-embedding {count.non_embedding:,}"
                + (f", vocab padding +{count.vocab_padding:,}" if count.vocab_padding else "")
                + ")",
                "$text-muted",
            ),
        ]
        widget.update(Content.assemble(*parts))

    def _show_unsupported(self, mapping: Any) -> None:
        box = self.query_one("#arch-unsupported", Static)
        items = list(mapping.unsupported) if mapping is not None else []
        box.display = bool(items)
        if items:
            lines = ["Unsupported HF features (Megatron cannot express them; the import will not drop them silently):"]
            lines += [f"  • {key}: {why}" for key, why in items]
            box.update(Content("\n".join(lines)))

    @staticmethod
    def _trap_keys(view: Any) -> set[str]:
        from primus_tui.hf.keys import TRAP_KEYS

        cand = getattr(view, "base_candidate", None)
        return {k for k in (cand.overrides if cand is not None else {}) if k in TRAP_KEYS}

    def _show_traps(self, state: Any, view: Any) -> None:
        from primus_tui.hf.keys import TRAP_KEYS

        box = self.query_one("#arch-traps", Static)
        lines: list[str] = []
        cand = getattr(view, "base_candidate", None)
        if cand is not None:
            for key, (old, new) in cand.overrides.items():
                if key in TRAP_KEYS:
                    lines.append(f"  • {key}: {scalar_yaml(old)} in {state.base} → {scalar_yaml(new)}")
        for key, value in (state.pinned() if state.mapping is not None else {}).items():
            lines.append(
                f"  • {key}: {state.answers.experiment.config} would beat the model file; "
                f"the experiment sets {scalar_yaml(value)} in overrides"
            )
        notes = list(getattr(state.mapping, "notes", []) or []) if state.mapping is not None else []
        lines += [f"  • {note}" for note in notes]
        box.display = bool(lines)
        if lines:
            head = "⚠ Traps of the manual recipe (the base would silently give the wrong value); written explicitly:"
            box.update(Content("\n".join([head, *lines])))

    def _show_problems(self, view: Any) -> None:
        problems = view.problems_for("arch") if view is not None else []
        by_key: dict[str, tuple[str, str]] = {}
        general: list[Any] = []
        for p in problems:
            key = p.key_in("architecture")
            if key in self._keys:
                by_key.setdefault(key, (p.severity, p.message))
            else:
                general.append(p)
        for row in self.query(FieldRow):
            severity, text = by_key.get(row.key, ("", ""))
            row.set_state_message(severity, text)
        box = self.query_one("#arch-problems", Static)
        box.display = bool(general)
        box.update(Content("\n".join(f"{'✖' if p.severity == 'error' else '⚠'} {p}" for p in general)))

    # -- form -> state -------------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        row = FieldRow.take_change(event)
        if row is None:
            return
        key, text = row.key, event.value
        if self._known_text.get(key) == text:
            return
        self._known_text[key] = text
        value = parse_scalar(text)
        self.edit(f"architecture.{key}", lambda s: s.set_field(key, value))

    def fill(self, state: Any) -> None:
        """Show the state's values in the rows (undo, an answers file): typed text follows the state."""
        fields = state.fields() if state.mapping is not None else {}
        if not fields or list(fields) != self._keys:
            return
        for row in self.query(FieldRow):
            text = scalar_yaml(fields[row.key])
            self._known_text[row.key] = text
            row.set_value(text)

    def action_reset_field(self) -> None:
        """The focused field back to its HF value (the answer is dropped; the core decides the value)."""
        row = FieldRow.of(self.screen.focused)
        if row is None:
            return
        key = row.key
        self.edit(f"architecture.{key}", lambda s: s.unset_field(key), refill=True)
