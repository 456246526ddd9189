"""Fixtures for launcher tests (helpers live in clihelp.py)."""

from __future__ import annotations

import pytest

from tests.launch.clihelp import run_cli


@pytest.fixture
def cli():
    return run_cli
