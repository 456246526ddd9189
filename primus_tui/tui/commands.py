"""Command palette (ctrl+p): one entry per wizard step and per action, run through the screen's actions."""

from __future__ import annotations

from dataclasses import dataclass

from textual.command import DiscoveryHit, Hit, Hits, Provider

from primus_tui.steps import STEPS
from primus_tui.tui.keys import RUN_KEYS

@dataclass(frozen=True)
class PaletteEntry:
    title: str
    help: str
    action: str  # an action string run on the wizard screen


def palette_entries() -> list[PaletteEntry]:
    entries = [PaletteEntry(s.label, s.purpose[:1].upper() + s.purpose[1:], f"goto('{s.id}')") for s in STEPS]
    entries += [
        PaletteEntry("Fetch model config", "Fetch config.json for the repo id / path in step 1", "fetch"),
        PaletteEntry("Write files", "Write the model and experiment YAML (asks first)", "write"),
        PaletteEntry("Launch run", "Write if needed, then run primus-cli direct", "launch"),
        PaletteEntry("Dry run", "Run primus-cli --dry-run: print the command and config, train nothing", "dry_run"),
        PaletteEntry("Cancel run", "Stop the running job (its whole process group)", "cancel_run"),
        PaletteEntry("Save answers", "Save the answers file for `primus-tui --answers F`", "save_answers"),
        *(PaletteEntry(k.title, f"{k.help[:1].upper()}{k.help[1:]} ({k.shown_key})", k.action) for k in RUN_KEYS),
        PaletteEntry("Help", "Keys and steps", "app.help"),
    ]
    return entries


class WizardCommands(Provider):
    """Steps and actions of the wizard screen."""

    def _run(self, action: str):
        screen = self.screen

        async def run() -> None:
            await screen.run_action(action)

        return run

    async def discover(self) -> Hits:
        for entry in palette_entries():
            yield DiscoveryHit(entry.title, self._run(entry.action), help=entry.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in palette_entries():
            score = matcher.match(entry.title)
            if score > 0:
                yield Hit(score, matcher.highlight(entry.title), self._run(entry.action), help=entry.help)
