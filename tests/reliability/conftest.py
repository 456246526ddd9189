"""Reliability fixtures: a writable Primus tree, answers files aimed at it, and the CLI in or out of process."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.reliability.helpers import EXPERIMENT, MODEL, REPO_ROOT


@pytest.fixture
def tree(primus_tree_copy: Path, hf_cache) -> Path:
    """A writable Primus root without the committed TinyLlama outputs (a run creates them)."""
    for rel in (MODEL, EXPERIMENT):
        (primus_tree_copy / rel).unlink(missing_ok=True)
    return primus_tree_copy


def _merge(data: dict, changes: dict) -> dict:
    out = copy.deepcopy(data)
    for key, value in changes.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


@pytest.fixture
def answers(tmp_path: Path, tree: Path) -> Callable[..., Path]:
    """The example TinyLlama answers aimed at `tree`, with `changes` merged in; returns the file."""
    base = yaml.safe_load((REPO_ROOT / "examples/answers/tinyllama_1.1B.yaml").read_text())

    def make(changes: dict | None = None, name: str = "answers.yaml") -> Path:
        data = _merge(_merge(base, {"target": {"primus_root": str(tree)}}), changes or {})
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    return make


@pytest.fixture
def cli(capsys: pytest.CaptureFixture) -> Callable[..., tuple[int, str, str]]:
    """`primus-tui ARGS` in-process: (exit code, stdout, stderr)."""
    from primus_tui.cli import main

    def run(*args: object) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
