"""Help (`?` / F1): the keys and what each step is for, from the bindings actually defined."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from primus_tui.steps import STEPS
from primus_tui.tui.keys import run_keys_help

HELP_TEMPLATE = """\
[b]primus-tui[/b] turns a Hugging Face model into a Primus/Megatron model YAML and an
experiment YAML, then runs [b]primus-cli direct[/b] and streams its log. The sidebar
checklist is Primus's own four-step guide; each item ticks itself when really done.

[b]Steps[/b]
{steps}

[b]Keys[/b]
  ctrl+n / ctrl+b   next / previous step (any step: ctrl+p "Step 3", or click it)
  tab / shift+tab   move between fields (↓ / ↑ too, in a form)
  ctrl+o            write the files (asks first; never overwrites silently)
  ctrl+r            launch primus-cli direct (writes the files first if needed)
  ctrl+x            cancel the running job (stops its whole process group)
  ctrl+s            save the answers file (replay: primus-tui --answers FILE)
  ctrl+z            undo the last edit (the forms show it)
  F4                every problem in full; enter goes to its step
  a / b             step 2: highlight Option A / Option B
  /                 step 2: filter the presets; step 5: filter the resolved keys
  F2                step 3: reset the focused field to its HF value
  escape            close a dialog, cancel a fetch
  ctrl+p            command palette      F1 (or ? outside a text field)   this help
  ctrl+q            quit (asks first while a run is in progress)

[b]Run view[/b] (step 6)
{run_keys}
"""


_WIDTH = max(len(s.title) for s in STEPS) + 2
HELP_TEXT = HELP_TEMPLATE.format(steps="\n".join(f"  {s.number} {s.title:<{_WIDTH}}{s.purpose}" for s in STEPS),
                                 run_keys=run_keys_help())


class HelpScreen(ModalScreen[None]):
    """A modal with the keys; any of escape, q, ? or F1 closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }

    #help {
        width: 96;
        max-width: 95%;
        height: 80%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }

    #help-title {
        text-style: bold;
        color: $text-accent;
    }
    """

    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static("Help", id="help-title")
            with VerticalScroll():
                yield Static(HELP_TEXT, id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
