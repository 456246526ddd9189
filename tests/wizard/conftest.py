"""Wizard test helpers: a Primus tree without the committed TinyLlama files, answers files, CLI runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.answers_support import (  # noqa: F401 - fixtures and names the tests import from here
    EXAMPLE_ANSWERS,
    REPO_ROOT,
    TINY_EXP,
    TINY_MODEL,
    TINY_REPO,
    cli,
    deep_update,
    example_answers,
    without_tinyllama,
    write_answers,
)


@pytest.fixture
def tree(primus_tree_copy: Path) -> Path:
    """A writable Primus root without the committed TinyLlama outputs (so a run creates them)."""
    return without_tinyllama(primus_tree_copy)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root -> bytes (to prove nothing was written)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
