"""The wizard screen: sidebar (steps + the guide's checklist), one pane per step in a ContentSwitcher.

The screen dispatches only: an `Edit` from a pane -> new immutable `WizardState` -> one
`StateChanged` message -> every pane `show()`s the state. Fetch, write and run go through the
app's collaborators in workers.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Input, Static
from textual.worker import Worker, WorkerState

from primus_tui.tui.startup import startup_done
from primus_tui.tui.keys import run_bindings
from primus_tui.tui.screens.flows import WriteAndLaunch, error_text
from primus_tui.tui.screens.problems import ProblemsScreen
from primus_tui.tui.screens.run_flow import LaunchAndRun
from primus_tui.steps import CHECK_LABELS, STEPS, step_of
from primus_tui.steps import step as step_named
from primus_tui.tui.panes import later_pane_classes
from primus_tui.tui.view import StateView, build_view
from primus_tui.tui.widgets.checklist import (
    CheckItem,
    Checklist,
    StepNav,
    StepStatus,
)
from primus_tui.tui.widgets.step import Edit, StepPane
from primus_tui.tui.widgets.step_model import ModelStep

class WizardScreen(WriteAndLaunch, LaunchAndRun, Screen):
    """Hosts the six steps; `step` drives the switcher, the footer's Next/Back and the sidebar."""

    BINDINGS = [
        Binding("ctrl+n", "next", "Next", priority=True),
        Binding("ctrl+b", "back", "Back", priority=True),
        Binding("ctrl+o", "write", "Write", priority=True),
        Binding("ctrl+r", "launch", "Launch", priority=True),
        Binding("ctrl+x", "cancel_run", "Cancel run", priority=True),
        Binding("ctrl+s", "save_answers", "Save", priority=True),
        Binding("ctrl+z", "undo", "Undo", show=False),  # help and the palette list it; the footer is full at 80 columns
        Binding("f4", "problems", "Problems", key_display="F4", show=False),  # the status line names it
        Binding("question_mark", "help_unless_typing", "Help", key_display="?"),
        # Same action: the footer shows one of the two, F1 while a text field would take the `?`.
        Binding("f1", "app.help", "Help", key_display="F1"),
        Binding("escape", "cancel_fetch", "Cancel fetch"),
        Binding("escape", "restore_log", "Restore"),
        *run_bindings(),
    ]

    # Below 90 columns the sidebar gives way to one status line (`-narrow`, see app.tcss); below 30
    # rows the run view's plots get shorter (`-short`), so some of the log stays in view.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (90, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    step: reactive[int] = reactive(0, bindings=True)

    class StateChanged(Message):
        """The wizard state was rebuilt (one per form change, fetch, write or run)."""

        def __init__(self, state: Any, what: str) -> None:
            super().__init__()
            self.state = state
            self.what = what

    def __init__(self, *, state: Any = None, primus_root: Path | None = None) -> None:
        super().__init__()
        self.state = state  # None until the first frame is drawn (the core loads after it)
        self.primus_root = primus_root
        self.view = StateView()
        self.fetching = False
        self.running = False
        self.process = None  # the live GroupRun (launch/runner.py)
        self.last_run = None  # RunResult of the last launch
        self.last_command: tuple[list[str], Path] | None = None  # argv and tree of the last launch
        self.panes_ready = asyncio.Event()  # all six panes mounted
        self._pending_hf: Any = None  # a model fetched before that
        self._computing = False  # a view worker is running
        self._dirty = False  # the state changed since that worker started
        self._undo: list[Any] = []  # states before each edit, newest last (ctrl+z)

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="title-bar")
        yield StepStatus(STEPS, id="step-status")
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield Static("Steps", classes="sidebar-title")
                yield StepNav(STEPS, id="step-nav")
                yield Static("Checklist", classes="sidebar-title")
                yield Checklist(id="checklist")
            with ContentSwitcher(initial=STEPS[0].id, id="steps"):
                yield ModelStep()  # the rest are mounted after the first frame (start-up time)
        yield Static("", id="problems")
        yield Footer()

    def on_mount(self) -> None:
        if self.state is not None:
            self._fill(self.query(StepPane))
        self._update_header()
        self.query_one(StepStatus).show(0, [CheckItem(label, False) for label in CHECK_LABELS])
        self.query_one("#model-ref").focus()
        self.call_after_refresh(self._mount_rest)

    async def _mount_rest(self) -> None:
        """Load the core and mount the other five panes once the first frame is on screen."""
        startup_done()
        if self.state is None:
            from primus_tui.wizard import WizardState

            self.state = WizardState.new(self.primus_root)  # empty: nothing to fill into step 1
        panes = [cls() for cls in later_pane_classes()]
        for pane in panes:
            pane.display = False
        await self.query_one(ContentSwitcher).mount_all(panes)
        if not all(pane.is_mounted for pane in panes):
            return  # the app is closing
        self._fill(panes)
        self.panes_ready.set()
        if self._pending_hf is not None:
            self._model_loaded(self._pending_hf)
        self._schedule_view()
        if self.step:
            self.watch_step(self.step)

    def _fill(self, panes) -> None:
        panes = list(panes)
        for pane in panes:
            pane._filling = True
            pane.fill(self.state)

        def done() -> None:
            for pane in panes:
                pane._filling = False

        self.call_after_refresh(done)

    def pane(self, step_id: str) -> StepPane:
        return self.query_one(f"#{step_id}", StepPane)

    # -- state ----------------------------------------------------------------------------------
    UNDO_DEPTH = 200

    @on(Edit)
    def _on_edit(self, event: Edit) -> None:
        event.stop()
        new = event.apply(self.state)
        if new.answers != self.state.answers:
            self._undo.append(self.state)
            del self._undo[:-self.UNDO_DEPTH]
        self.set_state(new, event.what)
        if event.refill:
            self.refill([self.pane(event.step_id)])

    @work(exclusive=True, group="problems")
    async def action_problems(self) -> None:
        """Every problem in full; enter goes to the step that owns it."""
        problems = list(self.view.problems)
        if not problems:
            self.notify("No problems.", timeout=2)
            return
        target = await self.app.push_screen_wait(ProblemsScreen(problems))
        if target is not None:
            self.action_goto(target)

    def action_undo(self) -> None:
        """Back to the answers before the last edit; the forms show them."""
        if not self._undo:
            self.notify("Nothing to undo.", timeout=2)
            return
        self.set_state(self._undo.pop(), "undo")
        self.refill(self.query(StepPane))

    def refill(self, panes) -> None:
        """Put the current state's answers into these panes' forms (undo, reset)."""
        self._fill(panes)

    def set_state(self, state: Any, what: str) -> None:
        self.state = state
        self.post_message(self.StateChanged(state, what))

    def on_wizard_screen_state_changed(self, event: "WizardScreen.StateChanged") -> None:
        if self.panes_ready.is_set() and self.view.state is not event.state:
            # Until the core's verdict on this state lands, say so (never a stale "no problems").
            self.query_one("#problems", Static).update(Content.styled("… checking", "$text-muted"))
        self._schedule_view()

    @property
    def busy(self) -> bool:
        """True while the panes are mounting or the view of the latest state is being computed."""
        return not self.panes_ready.is_set() or self._computing or self._dirty

    def _schedule_view(self) -> None:
        """Compute the view of the latest state in a thread; one at a time, latest state wins."""
        if not self.panes_ready.is_set():
            return  # _mount_rest schedules the first one
        if self._computing:
            self._dirty = True
            return
        self._computing, self._dirty = True, False
        state = self.state
        self.run_worker(
            lambda: build_view(state), name="view", group="view", thread=True, exit_on_error=False
        )

    def _view_done(self, view: StateView | None) -> None:
        self._computing = False
        if view is not None:
            self._apply_view(view)
        if self._dirty:
            self._schedule_view()

    def _apply_view(self, view: StateView) -> None:
        self.view = view
        state = view.state
        for pane in self.query(StepPane):
            pane.show(state, view)
        items = [CheckItem(label, item.done, item.reason) for label, item in zip(CHECK_LABELS, view.checklist)]
        self.query_one(Checklist).show(items)
        self.query_one(StepStatus).show(items=items)
        self._show_problems(view)
        self._update_header()
        self._show_preview(view)
        self.refresh_bindings()

    async def view_ready(self) -> StateView:
        """Wait until the view of the current state is computed (actions that write or launch)."""
        await self.panes_ready.wait()
        while self.busy or self.view.state is not self.state:
            if not self._computing:
                self._schedule_view()
            await asyncio.sleep(0.02)
        return self.view

    def _show_problems(self, view: StateView) -> None:
        bar = self.query_one("#problems", Static)
        errors, warnings = view.errors, view.warnings
        state = view.state
        if state is not None and state.hf is None and not state.answers.model.ref and all(
            step_of(p.path) == "model" for p in errors
        ):
            # Nothing chosen yet: that is where everyone starts, not an error to shout about.
            bar.update(Content.styled("Start with step 1: type a Hugging Face repo id or a local path, then enter.", "$text-muted"))
            bar.set_class(False, "-errors")
            return
        if not errors and not warnings:
            bar.update(Content.styled("✔ no problems", "$text-success"))
        else:
            first = errors[0] if errors else warnings[0]
            head = Content.assemble(
                (f"✖ {len(errors)} error{'s' * (len(errors) != 1)}", "$text-error bold" if errors else "$text-muted"),
                "  ",
                (f"⚠ {len(warnings)} warning{'s' * (len(warnings) != 1)}", "$text-warning" if warnings else "$text-muted"),
                ("  F4: all, in full", "$text-muted"),
                "  ",
                (f"step {step_named(step_of(first.path)).number}: {first}", "$text-error" if errors else "$text-warning"),
            )
            bar.update(head)
        bar.set_class(bool(errors), "-errors")

    def _update_header(self) -> None:
        s = self.state
        if s is None:
            model, root = "no model yet", self.primus_root
        else:
            model, root = s.answers.model.ref or "no model yet", s.answers.target.primus_root
        tree = "bundled tree" if root is None else str(root)
        self.sub_title = f"{model}  →  {tree}"
        self.query_one("#title-bar", Static).update(
            Content.assemble(("primus-tui", "bold"), "  ", (model, "$text-accent"), ("  →  ", "$text-muted"), tree)
        )

    # -- navigation -----------------------------------------------------------------------------
    def watch_step(self, step: int) -> None:
        if not self.panes_ready.is_set():
            return  # _mount_rest shows the current step once every pane exists
        step_id = STEPS[step].id
        self.query_one(ContentSwitcher).current = step_id
        self.query_one(StepNav).show_current(step_id)
        self.query_one(StepStatus).show(current=step)
        if step_id in ("experiment", "launch", "preview"):
            self._schedule_view()  # the file plan is against the disk now (files may have changed)
        self.call_after_refresh(self._focus_first, self.pane(step_id))

    def _focus_first(self, pane: StepPane) -> None:
        focused = self.focused
        if focused is not None and pane in focused.ancestors:
            return
        first = list(pane.query(pane.FIRST_FOCUS)) if pane.FIRST_FOCUS else []
        for widget in [*first, *pane.query("*")]:
            if widget.focusable and widget.display:
                # Arrive at the top of the step (its purpose line shown), not with the field centred.
                widget.focus(scroll_visible=False)
                pane.scroll_home(animate=False, immediate=True)
                return

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next":
            return True if self.step < len(STEPS) - 1 else None  # blocked: it says why (never silent)
        if action == "back":
            return True if self.step > 0 else None
        if action == "cancel_run":
            return True if self.running else False
        if action in ("write", "launch"):
            return None if self.running else True  # with errors, the write flow names them
        if action == "cancel_fetch":
            return True if self.fetching else False
        if action == "restore_log":
            return self.maximized is not None and not self.fetching
        if action == "open_experiment":
            return None if self.running else True
        if action == "help_unless_typing":
            return not isinstance(self.focused, Input)  # in a text field `?` is a character (F1 is help)
        return True

    def can_advance(self) -> bool:
        step_id = STEPS[self.step].id
        if self.step >= len(STEPS) - 1:
            return False
        if step_id == "model":
            return self.view.state is not None and self.view.state.hf is not None and not self.view.errors_for("model")
        return not self.view.errors_for(step_id)

    def action_next(self) -> None:
        if self.busy:
            self._next_when_ready()  # judge the state the user sees once its view lands, not a stale one
        else:
            self._advance()

    @work(exclusive=True, group="next", exit_on_error=False)
    async def _next_when_ready(self) -> None:
        step = self.step
        await self.view_ready()
        if self.step == step:
            self._advance()

    def _advance(self) -> None:
        """Next step, or say what blocks it (the first error of this step, in full)."""
        if self.can_advance():
            self.step += 1
            return
        step_id = STEPS[self.step].id
        blocking = self.view.errors_for(step_id)
        if blocking:
            more = f" (+{len(blocking) - 1} more)" if len(blocking) > 1 else ""
            self.notify(f"Fix this first: {blocking[0]}{more}", title="Not ready for the next step",
                        severity="error", timeout=8)
        elif step_id == "model":
            self.notify("Fetch a model first: type a repo id or a path, then enter.", severity="warning")

    async def action_help_unless_typing(self) -> None:
        await self.app.run_action("help")

    def action_back(self) -> None:
        self.step = max(self.step - 1, 0)

    def action_goto(self, step_id: str) -> None:
        self.step = next(i for i, s in enumerate(STEPS) if s.id == step_id)

    # -- step 1: fetch --------------------------------------------------------------------------
    def action_fetch(self) -> None:
        self.query_one(ModelStep).request_fetch()

    @on(ModelStep.FetchRequested)
    def _fetch(self, event: ModelStep.FetchRequested) -> None:
        pane = self.query_one(ModelStep)
        if not event.ref:
            pane.show_error("Enter a Hugging Face repo id (org/name) or a local folder / config.json path first.")
            return
        fetch = self.app.collab.fetch_config
        ref, revision = event.ref, event.revision
        self.fetching = True
        self.refresh_bindings()
        pane.set_busy(True, f"Fetching config.json for {ref} …  (escape cancels)")
        self.run_worker(lambda: fetch(ref, revision), name="fetch", group="fetch", exclusive=True, thread=True, exit_on_error=False)

    @on(ModelStep.CancelRequested)
    def action_cancel_fetch(self) -> None:
        if not self.fetching:
            return
        self.workers.cancel_group(self, "fetch")  # a blocked download thread is left to finish; its result is dropped
        self._fetch_done()
        self.query_one(ModelStep).show_error("Fetch cancelled.")

    def _fetch_done(self) -> None:
        self.fetching = False
        self.refresh_bindings()
        self.query_one(ModelStep).set_busy(False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group == "view":
            if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
                self._view_done(worker.result if event.state == WorkerState.SUCCESS else None)
            return
        if worker.group != "fetch" or worker.is_cancelled:
            return
        if event.state == WorkerState.SUCCESS:
            self._fetch_done()
            self._model_loaded(worker.result)
        elif event.state == WorkerState.ERROR:
            self._fetch_done()
            self.query_one(ModelStep).show_error(error_text(worker.error))

    def _model_loaded(self, cfg: Any) -> None:
        if not self.panes_ready.is_set():
            self._pending_hf = cfg
            return
        self._pending_hf = None
        self.query_one(ModelStep).show_summary([("model", f"{cfg.repo_id or cfg.path} (checking …)")])
        if self.state.answers.model.ref is not None:
            self._undo.append(self.state)  # ctrl+z goes back to the previous model and its answers
        self.set_state(self.state.with_hf(cfg), "model")  # the core resets what belonged to another model
        self._fill([p for p in self.query(StepPane) if p.id != "model"])  # forms show the new model's answers
        self.query_one(ModelStep).show_error("")

    # -- step 5: preview ------------------------------------------------------------------------
    def _show_preview(self, view: StateView) -> None:
        pane = self.pane("preview")
        if view.preview is not None:  # resolved: its mismatches (if any) are shown in place
            p = view.preview
            pane.show_preview(view.state, p.resolution, p.base_diff, p.model_yaml, p.experiment_yaml)
        elif view.errors:
            pane.show_blocked(view.errors)
        elif view.preview_error:
            pane.show_error(view.preview_error)
