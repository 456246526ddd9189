"""The pure core never imports Textual; nothing a user starts imports torch or megatron."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = ["primus_tui.config", "primus_tui.hf", "primus_tui.wizard", "primus_tui.launch"]
HEAVY = ("torch", "megatron")


def loaded_after(module: str) -> set[str]:
    code = f"import importlib, sys; importlib.import_module({module!r}); print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {name.split(".")[0] for name in out.stdout.split()}


@pytest.mark.parametrize("module", CORE)
def test_core_has_no_ui_or_heavy_imports(module: str) -> None:
    top = loaded_after(module)
    assert "textual" not in top
    assert not top & set(HEAVY)


@pytest.mark.parametrize("module", ["primus_tui.cli", "primus_tui.commands.resolve", "primus_tui.commands.wizard_main"])
def test_entry_points_stay_light(module: str) -> None:
    assert not loaded_after(module) & set(HEAVY)
