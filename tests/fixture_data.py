"""Where the test fixtures live, importable by any test as `tests.fixture_data` (conftest is not)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / "tests" / "fixtures"
HF_FIXTURES = FIXTURES / "hf_configs"


def fixture_repo_ids() -> list[str]:
    """Every `<org>--<name>` fixture as an HF repo id."""
    return sorted(p.name.replace("--", "/", 1) for p in HF_FIXTURES.iterdir() if (p / "config.json").is_file())
