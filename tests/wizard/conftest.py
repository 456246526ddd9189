"""Wizard test helpers: a Primus tree without the committed TinyLlama files, answers files, CLI runs."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]

EXAMPLE_ANSWERS = REPO_ROOT / "examples" / "answers" / "tinyllama_1.1B.yaml"
TINY_MODEL = Path("primus/configs/models/megatron/tinyllama_1.1B.yaml")
TINY_EXP = Path("examples/megatron/configs/MI300X/tinyllama_1.1B-pretrain.yaml")
TINY_REPO = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"


@pytest.fixture
def tree(primus_tree_copy: Path) -> Path:
    """A writable Primus root without the committed TinyLlama outputs (so a run creates them)."""
    for rel in (TINY_MODEL, TINY_EXP):
        (primus_tree_copy / rel).unlink(missing_ok=True)
    return primus_tree_copy


def example_answers() -> dict:
    return yaml.safe_load(EXAMPLE_ANSWERS.read_text())


def deep_update(data: dict, changes: dict) -> dict:
    out = copy.deepcopy(data)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_update(out[key], value)
        else:
            out[key] = value
    return out


@pytest.fixture
def write_answers(tmp_path: Path, tree: Path) -> Callable[..., Path]:
    """Write the example answers (target: `tree`) with `changes` deep-merged in; return the path."""
    def make(changes: dict | None = None, name: str = "answers.yaml", base: dict | None = None) -> Path:
        data = deep_update(base if base is not None else example_answers(), {"target": {"primus_root": str(tree)}})
        data = deep_update(data, changes or {})
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return make


@pytest.fixture
def cli(capsys: pytest.CaptureFixture) -> Callable[..., tuple[int, str, str]]:
    """Run `primus-tui ARGS` in-process: (exit code, stdout, stderr)."""
    from primus_tui.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root -> bytes (to prove nothing was written)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
