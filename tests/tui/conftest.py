"""Fixtures for the Textual app tests: a writable Primus tree with primus-cli, app factory."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(primus_tree_copy: Path) -> Path:
    """A writable Primus root holding its own primus-cli (a copy, so it resolves this tree)."""
    shutil.copy2(REPO / "primus-cli", primus_tree_copy / "primus-cli")
    return primus_tree_copy


@pytest.fixture
def make(hf_cache, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Build the app as the CLI does, on the tree copy, with logs and answers under tmp_path."""
    from primus_tui.tui.app import make_app

    monkeypatch.chdir(tmp_path)

    def factory(**kwargs):
        kwargs.setdefault("primus_root", tree)
        kwargs.setdefault("run_env", {"PRIMUS_PYTHON": sys.executable})
        kwargs.setdefault("log_dir", tmp_path / "logs")
        kwargs.setdefault("answers_path", tmp_path / "answers.yaml")
        return make_app(**kwargs)

    return factory
