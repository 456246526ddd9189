"""Step 5: the merged config exactly as Primus resolves the planned files (nothing written yet).

Tabs: every key with value and source file:line (filterable, shadowed keys flagged), the extends
chain, the difference from the base preset, and the exact YAML of both files.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.containers import ScrollableContainer, VerticalScroll
from textual.content import Content
from textual.widgets import Static, TabbedContent, TabPane, Tree

from primus_tui.config.render import scalar_yaml
from primus_tui.tui.widgets.resolved_table import KeyRow, ResolvedTable
from primus_tui.tui.widgets.step import StepPane
from primus_tui.tui.widgets.yaml_view import CodeView


class PreviewStep(StepPane):
    """Filled by the screen with one `Resolution` per state while this step is visible."""

    DEFAULT_CSS = """
    #preview-status {
        height: auto;
    }

    #preview-tabs {
        height: 1fr;
        min-height: 12;
    }

    #preview-tabs TabPane {
        padding: 0;
        height: 1fr;
    }

    #preview-chain {
        height: 1fr;
    }
    """

    STEP_ID = "preview"
    TITLE = "Preview"
    PURPOSE = "The merged config Primus will build from the planned files, with where every value comes from."

    BINDINGS = [("slash", "filter", "Filter keys")]

    def action_filter(self) -> None:
        self.query_one(TabbedContent).active = "tab-keys"
        self.query_one("#key-filter").focus()

    def compose(self) -> ComposeResult:
        yield Static(self.PURPOSE, classes="purpose")
        yield Static("", id="preview-status")
        with TabbedContent(id="preview-tabs"):
            with TabPane("Keys", id="tab-keys"):
                yield ResolvedTable(id="preview-table")
            with TabPane("Chain", id="tab-chain"):
                yield Tree("extends chain", id="preview-chain")
            with TabPane("Diff vs base", id="tab-diff"):
                with VerticalScroll():
                    yield Static("", id="preview-diff")
            with TabPane("Model YAML", id="tab-model"):
                with ScrollableContainer():  # long comment lines: scroll sideways, never cut
                    yield CodeView(id="preview-model-yaml")
            with TabPane("Experiment YAML", id="tab-exp"):
                with ScrollableContainer():  # long comment lines: scroll sideways, never cut
                    yield CodeView(id="preview-exp-yaml")

    def show_blocked(self, errors: list) -> None:
        lines = [f"Blocked: fix {len(errors)} problem(s) first (the preview resolves the files the answers produce):"]
        lines += [f"  ✖ {p}" for p in errors[:8]]
        self._status(Content("\n".join(lines)), error=True)

    def show_error(self, message: str) -> None:
        self._status(Content(f"✖ {message}"), error=True)

    def _status(self, content: Content, error: bool = False) -> None:
        status = self.query_one("#preview-status", Static)
        status.set_class(error, "error-box")
        status.update(content)

    def show_preview(self, state: Any, res: Any, diff: list, model_yaml: str, exp_yaml: str) -> None:
        from primus_tui.config.merge import flatten
        from primus_tui.config.source import flatten_sources

        values = flatten(res.values)
        sources = flatten_sources(res.sources) if isinstance(res.sources, dict) else {}
        shadowed = {s.key: s for s in res.shadowed}
        dead = {r.liveness.key: r.liveness for r in res.dead_keys}
        rows = []
        for key, value in values.items():
            src = sources.get(key)
            shadow = shadowed.get(key)
            top = key.split(".", 1)[0]
            note = _dead_note(dead[top]) if top in dead else ""
            if shadow is not None:
                note = (
                    f"shadowed: model file says {scalar_yaml(shadow.model_value)} ({shadow.model_source}); "
                    + ("overrides win" if shadow.fixed_by_override else "module preset wins")
                )
            history = tuple(f"{scalar_yaml(v)} ({_short(str(s))})" for v, s in src.history) if src else ()
            rows.append(KeyRow(key, scalar_yaml(value), _short(str(src)) if src else "", shadow is not None, note,
                               dead=top in dead, full_source=_in_tree(src, state.root) if src else "",
                               history=history))
        self.query_one(ResolvedTable).set_rows(rows)
        self._show_chain(state, res)
        self._show_diff(state, diff)
        self.query_one("#preview-model-yaml", CodeView).set_text(model_yaml)
        self.query_one("#preview-exp-yaml", CodeView).set_text(exp_yaml)

        open_shadows = [s for s in res.shadowed if not s.fixed_by_override]
        lines = [
            Content.assemble(
                (f"{len(values)} keys", "bold"),
                f" from {len(res.chain)} files",
                (" (staged, nothing written)" if res.staged else " (written files)", "$text-muted"),
                f" · {len(res.shadowed)} shadowed",
                (f" ({len(open_shadows)} not fixed by overrides)" if open_shadows else "", "$text-warning"),
                f" · {len(res.dead_keys)} dead (Megatron does not read them; filter: dead)" if res.dead_keys else "",
            )
        ]
        mapping = getattr(state, "mapping", None)
        for d in getattr(mapping, "accepted", ()):
            lines.append(Content.styled(f"⚠ accepted divergence {d.key}: {d.summary()}", "$text-warning"))
        error = False
        for key, (asked, got) in res.mismatches.items():
            error = True
            lines.append(Content.styled(f"✖ resolves {key} to {scalar_yaml(got)}, but the answers ask for {scalar_yaml(asked)}", "$text-error"))
        self._status(Content("\n").join(lines), error=error)

    def _show_chain(self, state: Any, res: Any) -> None:
        tree = self.query_one("#preview-chain", Tree)
        tree.clear()
        tree.root.set_label(str(state.experiment_rel))
        groups: dict[str, Any] = {}
        for rel in res.chain:
            folder = str(Path(rel).parent)
            kind = "module preset" if "/modules/" in f"/{folder}/" else "model preset" if "/models/" in f"/{folder}/" else "file"
            node = groups.get(kind)
            if node is None:
                node = groups[kind] = tree.root.add(f"{kind}s ({folder}/)", expand=True)
            node.add_leaf(Path(rel).name)
        tree.root.expand()

    def _show_diff(self, state: Any, diff: list) -> None:
        if not diff:
            self.query_one("#preview-diff", Static).update(f"No difference from {state.base}.")
            return
        lines = [Content.styled(f"The new model YAML against its base {state.base} ({len(diff)} keys):", "bold")]
        for d in diff:
            if d.kind == "changed":
                lines.append(Content.assemble(("~ ", "$text-warning"), f"{d.key}: ", (scalar_yaml(d.old), "$text-error"), " → ", (scalar_yaml(d.new), "$text-success")))
            elif d.kind == "added":
                lines.append(Content.assemble(("+ ", "$text-success"), f"{d.key}: ", (scalar_yaml(d.new), "$text-success")))
            else:
                lines.append(Content.assemble(("- ", "$text-error"), f"{d.key}: ", (scalar_yaml(d.old), "$text-error")))
        self.query_one("#preview-diff", Static).update(Content("\n").join(lines))


def _dead_note(live: Any) -> str:
    """Short enough to read in the source column: `inert -> layernorm_epsilon: <why>`."""
    better = f" -> {live.suggestion}" if live.suggestion else ""
    return f"dead: {live.status}{better}: {live.reason}"


def _in_tree(source: Any, root: Path | None) -> str:
    """`source` with its file relative to the Primus root (the same text wherever the app runs)."""
    if root is None or not getattr(source, "file", None):
        return str(source)
    path = Path(source.file).resolve()
    return str(replace(source, file=str(path.relative_to(root)) if path.is_relative_to(root) else source.file))


def _short(source: str) -> str:
    """`../../x/primus/configs/models/megatron/a.yaml:3` -> `a.yaml:3` (the Chain tab has the folders).

    `overrides @ …/exp.yaml:15` keeps its `overrides @` prefix; anything else is shown as is.
    """
    prefix, sep, rest = source.partition("@ ")
    if not sep:
        prefix, rest = "", source
    if "/" not in rest.split(" ")[0]:
        return source
    head, _, tail = rest.partition(" ")
    short = head.rsplit("/", 1)[-1]
    return f"{prefix}{sep}{short}{(' ' + tail) if tail else ''}"
