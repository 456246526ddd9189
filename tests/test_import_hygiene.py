"""The pure core never imports Textual; nothing a user starts imports torch or megatron."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


PROBE = Path(__file__).resolve().parents[1] / "benchmarks" / "first_frame_probe.py"

# What the wizard's first screen must not wait for: the core and the plots load right after it
# (benchmarks/bench_tui.py measures the time; this pins the cause of the last regression).
LOADED_AFTER_FIRST_FRAME = ("yaml", "primus_tui.config", "primus_tui.wizard.state", "primus_tui.hf",
                            "primus_tui.plan.search", "textual_plotext", "huggingface_hub", "torch")


def test_the_first_frame_does_not_wait_for_the_core_or_the_plots(tmp_path) -> None:
    out = subprocess.run([sys.executable, str(PROBE)], capture_output=True, text=True, check=True, cwd=tmp_path,
                         timeout=120)
    assert out.stdout.startswith("FRAME ")
    loaded = set(out.stdout.split()[1:])
    assert "primus_tui.tui.screens.wizard" in loaded  # the frame was the wizard's
    assert not loaded & set(LOADED_AFTER_FIRST_FRAME)
