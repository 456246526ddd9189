"""Fixtures for the registry tests: the synthetic source pair of megatron_fakes."""

from __future__ import annotations

from pathlib import Path

import pytest
from megatron_fakes import PRIMUS_FILES, megatron_files, write_tree


@pytest.fixture
def fake_megatron(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "megatron_src", megatron_files())


@pytest.fixture
def fake_primus(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "primus_src", PRIMUS_FILES)
