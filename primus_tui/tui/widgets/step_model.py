"""Step 1: which Hugging Face model. Repo id + revision or a local path; fetch runs in a worker."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, Static

from primus_tui.tui.widgets.inputs import OrderedInput
from primus_tui.tui.widgets.step import StepPane


class ModelStep(StepPane):
    """Repo id / path and revision; `enter` or the button fetches; `escape` cancels a fetch."""

    STEP_ID = "model"
    TITLE = "Model"
    PURPOSE = "The Hugging Face model to pretrain: a repo id (optionally a revision) or a local folder / config.json."

    class FetchRequested(Message):
        def __init__(self, ref: str, revision: str | None) -> None:
            super().__init__()
            self.ref = ref
            self.revision = revision

    class CancelRequested(Message):
        pass

    def compose(self) -> ComposeResult:
        yield Static(self.PURPOSE, classes="purpose")
        with Horizontal(classes="model-row"):
            yield Label("repo id or path", classes="model-label")
            yield OrderedInput(placeholder="TinyLlama/TinyLlama-1.1B-Chat-v1.0", id="model-ref", compact=True)
        with Horizontal(classes="model-row"):
            yield Label("revision", classes="model-label")
            yield OrderedInput(placeholder="main (branch, tag or commit)", id="model-revision", compact=True)
        yield Horizontal(classes="buttons", id="model-buttons")  # buttons: mounted after the first frame
        yield Static("", id="model-error", classes="error-box")
        yield Static("", id="model-summary")

    def on_mount(self) -> None:
        self.query_one("#model-error").display = False
        self.call_after_refresh(self._mount_buttons)

    def _mount_buttons(self) -> None:
        """For the mouse; the keys (enter, escape) work before they exist."""
        from textual.widgets import Button

        row = self.query_one("#model-buttons")
        if not row.is_attached:
            return  # the app is closing before its first frame settled
        row.mount(
            Button("Fetch config.json ⏎", id="fetch", variant="primary", compact=True),
            Button("Cancel fetch esc", id="cancel-fetch", disabled=not self.spinning, compact=True),
        )

    # -- form ---------------------------------------------------------------------------------
    def fill(self, state: Any) -> None:
        model = state.answers.model
        self.query_one("#model-ref", Input).value = model.ref or ""
        self.query_one("#model-revision", Input).value = model.revision or ""

    def form(self) -> tuple[str, str | None]:
        ref = self.query_one("#model-ref", Input).value.strip()
        revision = self.query_one("#model-revision", Input).value.strip() or None
        return ref, revision

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.request_fetch()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()

    def on_button_pressed(self, event) -> None:
        event.stop()
        if event.button.id == "fetch":
            self.request_fetch()
        elif event.button.id == "cancel-fetch":
            self.post_message(self.CancelRequested())

    def request_fetch(self) -> None:
        ref, revision = self.form()
        self.post_message(self.FetchRequested(ref, revision))

    # -- presentation -------------------------------------------------------------------------
    @property
    def spinning(self) -> bool:
        return bool(self.query("#fetch-spinner"))

    def set_busy(self, busy: bool, text: str = "") -> None:
        # The spinner exists only while fetching (it animates; nothing to pay for at start-up).
        from textual.widgets import Button, LoadingIndicator

        if busy and not self.spinning:
            self.mount(LoadingIndicator(id="fetch-spinner"), before="#model-error")
        elif not busy:
            self.query("#fetch-spinner").remove()
        for button in self.query(Button):
            button.disabled = busy if button.id == "fetch" else not busy
        if busy:
            self.show_error("")
            self.query_one("#model-summary", Static).update(Content.styled(text, "$text-muted"))

    def show_error(self, message: str) -> None:
        if message:
            self.query_one("#model-summary", Static).update("")
        box = self.query_one("#model-error", Static)
        box.display = bool(message)
        box.update(Content(message))

    def show_summary(self, lines: list[tuple[str, str]]) -> None:
        width = max((len(k) for k, _ in lines), default=0)
        content = Content("\n").join(
            Content.assemble((f"{key:<{width}}  ", "$text-muted"), value) for key, value in lines
        )
        self.query_one("#model-summary", Static).update(content)

    def show(self, state: Any, view: Any) -> None:
        hf, mapping = state.hf, state.mapping
        if hf is None:
            return
        lines = [
            ("model", str(hf.repo_id or hf.path)),
            ("revision", f"{hf.revision or 'main'} @ {hf.commit_sha[:12]}" if hf.commit_sha else "— (local files)"),
        ]
        if not hf.repo_id:
            lines.append(("config.json", str(hf.path)))
        if mapping is not None:
            lines.append(("model_type", f"{mapping.model_type} (family {mapping.family})"))
            f = mapping.fields
            shape = ", ".join(
                f"{label} {f[key]}" for key, label in
                (("num_layers", "layers"), ("hidden_size", "hidden"), ("num_attention_heads", "heads"),
                 ("num_query_groups", "kv groups"), ("vocab_size", "vocab")) if key in f
            )
            lines.append(("shape", shape))
            if mapping.unsupported:
                lines.append(("unsupported", "; ".join(k for k, _ in mapping.unsupported)))
        if view is not None and view.param_count is not None:
            lines.append(("parameters", f"{view.param_count.total:,}"))
        blocking = view.errors_for("model") if view is not None else []
        if blocking:  # the core's verdict, in full (wrapped, never cut): this model cannot be imported
            lines.append(("blocked", str(blocking[0]) + (f" (+{len(blocking) - 1} more)" if len(blocking) > 1 else "")))
        else:
            lines.append(("next", "ctrl+n: choose the base preset"))
        self.show_summary(lines)
