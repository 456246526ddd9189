"""Our resolution equals Primus's own parser, key for key and in the same order.

The golden JSON files were produced by Primus's real `PrimusParser` (commit fd1eeab, see
tools/primus_reference.py) on the same files; set PRIMUS_SRC to a Primus checkout to
also compare live.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from primus_tui.config import ConfigTree, resolve_experiment

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "primus_parser"
GOLDEN_TREE = ROOT / "tests" / "fixtures" / "golden_tree"
EXAMPLES = sorted((ROOT / "examples" / "megatron" / "configs").rglob("*.yaml"))
PRIMUS_EXAMPLES = [p for p in EXAMPLES if (GOLDEN / f"{p.stem}.json").exists()]


def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in list(os.environ):
        if var.startswith(("PRIMUS_", "GOLDEN_")):
            monkeypatch.delenv(var)


@pytest.mark.parametrize("exp", PRIMUS_EXAMPLES, ids=lambda p: p.stem)
def test_bundled_examples_match_primus(exp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _clean_env(monkeypatch)
    ours = resolve_experiment(exp).module("pre_trainer").values
    expected = json.loads((GOLDEN / f"{exp.stem}.json").read_text())
    assert ours == expected
    assert list(ours) == list(expected), "key order differs from Primus"


def test_every_primus_example_has_a_golden_file() -> None:
    """Primus's own examples are all covered (our generated ones are tested elsewhere)."""
    primus_examples = {p.stem for p in EXAMPLES if "BF16" in p.stem}
    assert primus_examples and primus_examples <= {p.stem for p in PRIMUS_EXAMPLES}


@pytest.fixture
def golden_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    shutil.copytree(ROOT / "primus", root / "primus")
    for kind in ("models", "modules"):
        for f in (GOLDEN_TREE / kind / "megatron").glob("*.yaml"):
            shutil.copy(f, root / "primus" / "configs" / kind / "megatron" / f.name)
    return root


@pytest.mark.parametrize(
    ("golden", "env"),
    [
        ("golden-pretrain.json", {}),
        (
            "golden-pretrain.env.json",
            {"GOLDEN_FFN": "2048", "GOLDEN_SWIGLU": "false", "GOLDEN_ROPE": "500000", "GOLDEN_MBS": "abc"},
        ),
    ],
)
def test_golden_tree_matches_primus(golden: str, env: dict, golden_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """extends lists, typed env substitution, "null", preserved module attrs, nested overrides."""
    _clean_env(monkeypatch)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    exp = GOLDEN_TREE / "experiments" / "golden-pretrain.yaml"
    ours = resolve_experiment(exp, ConfigTree.at(golden_root)).module("pre_trainer").values
    expected = json.loads((GOLDEN / golden).read_text())
    assert ours == expected
    assert list(ours) == list(expected)


@pytest.mark.skipif(not os.environ.get("PRIMUS_SRC"), reason="PRIMUS_SRC (a Primus checkout) not set")
@pytest.mark.parametrize("exp", PRIMUS_EXAMPLES, ids=lambda p: p.stem)
def test_live_against_primus_checkout(exp: Path, tmp_path: Path) -> None:
    model = resolve_experiment(exp).module("pre_trainer").values["model"]
    if not (Path(os.environ["PRIMUS_SRC"]) / "primus/configs/models/megatron" / model).is_file():
        pytest.skip(f"{model} is not in that Primus checkout")
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "primus_reference.py"), str(exp)],
        capture_output=True, text=True, cwd=tmp_path, check=True,
    ).stdout
    ours = resolve_experiment(exp, ConfigTree.at(os.environ["PRIMUS_SRC"])).module("pre_trainer").values
    assert ours == json.loads(out)
