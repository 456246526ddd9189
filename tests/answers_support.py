"""Shared by the wizard and reliability tests: the TinyLlama example answers aimed at a tree copy,
and `primus-tui` run in-process. Conftests import the fixtures from here (one definition)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.fixture_data import REPO_ROOT

EXAMPLE_ANSWERS = REPO_ROOT / "examples" / "answers" / "tinyllama_1.1B.yaml"
TINY_MODEL = Path("primus/configs/models/megatron/tinyllama_1.1B.yaml")
TINY_EXP = Path("examples/megatron/configs/MI300X/tinyllama_1.1B-pretrain.yaml")
TINY_REPO = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"


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


def without_tinyllama(root: Path) -> Path:
    """`root` without the committed TinyLlama outputs (so a run creates them)."""
    for rel in (TINY_MODEL, TINY_EXP):
        (root / rel).unlink(missing_ok=True)
    return root


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

    def run(*args: object) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
