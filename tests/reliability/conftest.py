"""Reliability fixtures: a writable Primus tree, answers files aimed at it, and the CLI in process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.answers_support import cli, without_tinyllama, write_answers  # noqa: F401 - fixtures


@pytest.fixture
def tree(primus_tree_copy: Path, hf_cache) -> Path:
    """A writable Primus root without the committed TinyLlama outputs (a run creates them)."""
    return without_tinyllama(primus_tree_copy)


@pytest.fixture
def answers(write_answers) -> Callable[..., Path]:
    """The example TinyLlama answers aimed at `tree`, with `changes` merged in; returns the file."""
    return write_answers
