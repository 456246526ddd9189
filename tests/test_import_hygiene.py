"""The pure core never imports Textual; nothing a user starts imports torch or megatron."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE = ["primus_tui.config", "primus_tui.files", "primus_tui.hf", "primus_tui.wizard", "primus_tui.launch"]
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


@pytest.mark.parametrize("module", ["primus_tui.commands.convert", "primus_tui.commands.export", "primus_tui.weights",
                                    "primus_tui.weights.folders", "primus_tui.weights.model_values",
                                    "primus_tui.weights.sidecar", "primus_tui.hf.shards"])
def test_weights_commands_import_torch_only_when_run(module: str) -> None:
    assert not loaded_after(module) & set(HEAVY)


def test_convert_refuses_an_existing_checkpoint_without_importing_torch(tmp_path) -> None:
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "latest_checkpointed_iteration.txt").write_text("release")
    code = ("import sys; from primus_tui.cli import main; rc = main(['convert', 'org/model', '--name', 'm', '--out', "
            f"{str(tmp_path / 'ckpt')!r}]); print(rc, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["4", "False"], out.stderr
    assert "already holds a checkpoint; pass --force to replace it" in out.stderr
