"""Step 2: the preset the new model YAML extends, ranked by the core (family match, fewest overrides)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from primus_tui.config.render import scalar_yaml
from primus_tui.tui.widgets.inputs import OrderedInput
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

    #base-filter {
        margin-bottom: 1;
    }

    #base-detail {
        margin-top: 1;
        height: auto;
    }
    """

    STEP_ID = "base"
    TITLE = "Base"
    PURPOSE = "Pick the preset your model YAML extends. Ranked for this model: family first, then fewest keys to override."

    FIRST_FOCUS = "#base-list"  # a/b and the arrows work on arrival; `/` goes to the filter
    BINDINGS = [
        Binding("a", "option('A')", "Option A", group=OPTION_KEYS),
        Binding("b", "option('B')", "Option B", group=OPTION_KEYS),
        Binding("slash", "filter", "Filter presets"),
    ]

    def action_filter(self) -> None:
        self.query_one("#base-filter", Input).focus()

    def action_option(self, option: str) -> None:
        """Highlight (not choose) the seed's Option A or B candidate; enter chooses it."""
        name = next((b.name for b in self._bases if b.option == option), None)
        if name is None:
            return
        if name not in self._shown_names():
            self.query_one("#base-filter", Input).value = ""
            self._refill()
        olist = self.query_one("#base-list", OptionList)
        olist.highlighted = self._shown_names().index(name)
        olist.focus()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._names: list[str] = []
        self._chosen: str | None = None
        self._bases: list = []
        self._shown: list = []  # the candidates the filter lets through, in ranking order

    def compose(self) -> ComposeResult:
        yield Static(self.PURPOSE, classes="purpose")
        yield Static(OPTIONS_TEXT, id="base-options", classes="hint")
        yield Static("", id="base-empty", classes="hint")
        yield OrderedInput(placeholder="/ filter the presets (e.g. llama3, qwen, language_model)", id="base-filter",
                           compact=True)
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
            self._refill()
        self._show_detail()

    def _shown_names(self) -> list[str]:
        return [b.name for b in self._shown]

    def _refill(self) -> None:
        """List the candidates whose name contains the filter text, keeping their rank numbers."""
        needle = self.query_one("#base-filter", Input).value.strip().lower()
        olist = self.query_one("#base-list", OptionList)
        keep = olist.highlighted_option.id if olist.highlighted_option is not None else self._chosen
        ranked = list(enumerate(self._bases, 1))
        shown = [(i, b) for i, b in ranked if needle in b.name.lower()] if needle else ranked
        self._shown = [b for _, b in shown]
        olist.clear_options()
        olist.add_options([Option(_label(i, b, b.name == self._chosen), id=b.name) for i, b in shown])
        if shown:
            names = self._shown_names()
            olist.highlighted = names.index(keep) if keep in names else 0
        self._show_detail()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "base-filter":
            event.stop()
            self._refill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "base-filter":
            event.stop()
            self.query_one("#base-list", OptionList).focus()

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
        if olist.highlighted is None or not self._shown:
            detail.update("" if not self._bases else "No preset matches the filter.")
            return
        cand = self._shown[olist.highlighted]
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
