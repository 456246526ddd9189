"""Ctrl+E: a searchable list of the tree's experiments (`examples/**/configs/*.yaml`); the choice is the result.

The list itself comes from the core (`wizard.experiments.list_experiments`); this screen filters
and presents it.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option


class OpenExperimentScreen(ModalScreen[Path | None]):
    """Type to filter, up/down to choose, enter to open (and launch), escape to close."""

    DEFAULT_CSS = """
    OpenExperimentScreen {
        align: center middle;
    }

    #open-dialog {
        width: 90%;
        max-width: 110;
        height: 80%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }

    #open-title {
        text-style: bold;
    }

    #open-list {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
    ]

    def __init__(self, experiments: list[Path], root: Path) -> None:
        super().__init__()
        self.experiments = experiments
        self.root = root
        self.shown: list[Path] = list(experiments)

    def compose(self) -> ComposeResult:
        with Vertical(id="open-dialog"):
            yield Static(f"Open an experiment ({len(self.experiments)} under {self.root}/examples) and launch it",
                         id="open-title", markup=False)
            yield Input(placeholder="filter: part of the path, e.g. CPU tiny", id="open-filter")
            yield OptionList(*self._options(), id="open-list")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self.shown:
            self.query_one(OptionList).highlighted = 0

    def _label(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def _options(self) -> list[Option]:
        return [Option(self._label(p)) for p in self.shown]

    def on_input_changed(self, event: Input.Changed) -> None:
        words = event.value.lower().split()
        self.shown = [p for p in self.experiments if all(w in self._label(p).lower() for w in words)]
        listing = self.query_one(OptionList)
        listing.clear_options()
        listing.add_options(self._options())
        if self.shown:
            listing.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        index = self.query_one(OptionList).highlighted
        if self.shown and index is not None:
            self.dismiss(self.shown[index])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.shown[event.option_index])

    def action_move(self, delta: int) -> None:
        listing = self.query_one(OptionList)
        if not self.shown:
            return
        current = listing.highlighted or 0
        listing.highlighted = max(0, min(len(self.shown) - 1, current + delta))

    def action_close(self) -> None:
        self.dismiss(None)
