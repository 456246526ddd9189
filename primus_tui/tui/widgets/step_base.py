"""Step 2: the preset the new model YAML extends, ranked by the core (family match, fewest overrides)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from primus_tui.config.render import scalar_yaml
from primus_tui.tui.widgets.step import StepPane

OPTIONS_TEXT = (
    "Option A (key a): extend language_model.yaml and set every architecture field explicitly (the guide's choice).\n"
    "Option B (key b): extend the closest existing preset of the same family and override only what differs."
)
MAX_KEYS_SHOWN = 40
OPTION_KEYS = Binding.Group("Option A/B")  # one footer item for both keys


class BaseStep(StepPane):
    """Ranked candidates; enter picks one. The detail pane lists the keys it would override."""

    DEFAULT_CSS = """
    #base-options {
        margin-bottom: 1;
    }

    #base-list {
        height: auto;
        max-height: 10;
    }

    #base-detail {
        margin-top: 1;
        height: auto;
    }
    """

    STEP_ID = "base"
    TITLE = "Base"
    PURPOSE = "Pick the preset your model YAML extends. Ranked for this model: family first, then fewest keys to override."

    BINDINGS = [
        Binding("a", "option('A')", "Option A", group=OPTION_KEYS),
        Binding("b", "option('B')", "Option B", group=OPTION_KEYS),
    ]

    def action_option(self, option: str) -> None:
        """Highlight (not choose) the seed's Option A or B candidate; enter chooses it."""
        index = next((i for i, b in enumerate(self._bases) if b.option == option), None)
        if index is not None:
            olist = self.query_one("#base-list", OptionList)
            olist.highlighted = index
            olist.focus()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._names: list[str] = []
        self._chosen: str | None = None
        self._bases: list = []

    def compose(self) -> ComposeResult:
        yield Static(self.PURPOSE, classes="purpose")
        yield Static(OPTIONS_TEXT, id="base-options", classes="hint")
        yield Static("", id="base-empty", classes="hint")
        yield OptionList(id="base-list")
        yield Static("", id="base-detail")

    def show(self, state: Any, view: Any) -> None:
        bases = list(view.bases) if view is not None else []
        chosen = state.base
        empty = self.query_one("#base-empty", Static)
        empty.display = not bases
        if not bases:
            empty.update("Fetch a model first (step 1): the ranking needs its config.json." if state.mapping is None
                         else "No model preset in the target tree to extend.")
        names = [b.name for b in bases]
        if names != self._names or chosen != self._chosen:
            self._names, self._chosen, self._bases = names, chosen, bases
            olist = self.query_one("#base-list", OptionList)
            highlighted = olist.highlighted
            olist.clear_options()
            olist.add_options([Option(_label(i, b, b.name == chosen), id=b.name) for i, b in enumerate(bases, 1)])
            if bases:
                index = highlighted if highlighted is not None else (names.index(chosen) if chosen in names else 0)
                olist.highlighted = min(index, len(bases) - 1)
        self._show_detail()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_detail()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        name = event.option.id
        self.edit("base", lambda s: s.with_base(name))

    def _show_detail(self) -> None:
        olist = self.query_one("#base-list", OptionList)
        detail = self.query_one("#base-detail", Static)
        if olist.highlighted is None or not self._bases:
            detail.update("")
            return
        cand = self._bases[olist.highlighted]
        keys = list(cand.overrides.items())
        head = Content.assemble(
            (cand.name, "bold"),
            ("  (chosen)" if cand.name == self._chosen else "  enter: use this base", "$text-muted"),
            "\n",
            (cand.reason or "", "italic"),
            "\n",
            f"{len(keys)} key{'s' if len(keys) != 1 else ''} to override in the new model YAML:",
        )
        width = max((len(k) for k, _ in keys[:MAX_KEYS_SHOWN]), default=0)
        rows = [
            Content.assemble(
                f"  {key:<{width}}  ", (scalar_yaml(old), "$text-error"), " → ", (scalar_yaml(new), "$text-success")
            )
            for key, (old, new) in keys[:MAX_KEYS_SHOWN]
        ]
        if len(keys) > MAX_KEYS_SHOWN:
            rows.append(Content.styled(f"  … and {len(keys) - MAX_KEYS_SHOWN} more", "$text-muted"))
        detail.update(Content("\n").join([head, *rows]))


def _label(rank: int, cand: Any, chosen: bool) -> Content:
    mark = Content.styled("● ", "$success") if chosen else Content("  ")
    option = Content.styled(f" [{cand.option}]", "$text-accent") if cand.option else Content("")
    family = Content.styled(" family", "$text-success") if cand.family_match else Content("")
    count = Content.styled(f"  {len(cand.overrides)} to override", "$text-muted")
    return Content.assemble(mark, f"{rank:>2}. ", cand.name, option, family, count)
