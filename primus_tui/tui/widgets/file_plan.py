"""The file plan: for each file, create / modify (with its diff) / unchanged, as the core planned it."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from primus_tui.tui.widgets.yaml_view import CodeView

ACTION_STYLE = {"create": "$text-success", "modify": "$text-warning", "unchanged": "$text-muted"}


class FilePlanView(Vertical):
    """One line per planned file; the unified diff under each file that would change."""

    DEFAULT_CSS = """
    FilePlanView { height: auto; }
    FilePlanView #plan-lines { height: auto; }
    FilePlanView CodeView { height: auto; margin-left: 2; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="plan-lines")
        yield CodeView(language="diff", id="plan-diff")

    def show_view(self, view: Any) -> None:
        """The plan of a `StateView` (None: no view computed yet)."""
        if view is None:
            self.show_plan(None)
        else:
            self.show_plan(view.plan, view.plan_error, view.write_blocked, view.checkpoint)

    def show_plan(self, plan: Any, error: str = "", blocked: str = "", checkpoint: Any = None) -> None:
        lines = self.query_one("#plan-lines", Static)
        diff = self.query_one("#plan-diff", CodeView)
        if plan is None:
            text = error or blocked or "No plan yet."
            lines.update(Content.styled(text, "$text-error" if error else "$text-muted"))
            diff.set_text("")
            return
        rows = []
        for f in plan.files:
            extra = ""
            if f.action == "create":
                extra = f"  (new, {len(f.content.splitlines())} lines)"
            elif f.action == "modify":
                extra = "  (exists and differs: overwriting needs your confirmation)"
            rows.append(Content.assemble((f"{f.action:>9}", f"bold {ACTION_STYLE.get(f.action, '')}"), f"  {f.display}", (extra, "$text-muted")))
        if checkpoint is not None:
            rows.append(Content.assemble((f"{checkpoint.action:>9}", "bold"), f"  {checkpoint.rel}/",
                                         ("  (HF weights" + (f"; {checkpoint.detail}" if checkpoint.detail else "") + ")",
                                          "$text-muted")))
        lines.update(Content("\n").join(rows))
        diff.set_text("".join(f.diff for f in plan.files if f.diff))
