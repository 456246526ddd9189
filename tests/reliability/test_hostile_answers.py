"""Hostile answers files, one table: each fails with one-line errors (exit non-zero, no traceback),
leaves the tree as it was and nothing of ours behind (tree or $TMPDIR)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import yaml

from tests.reliability.helpers import leftovers, snapshot

# (id, changes deep-merged into the TinyLlama example answers)
HOSTILE_CHANGES = [
    ("name-newline", {"name": "evil\n"}),
    ("name-slash", {"name": "a/b"}),
    ("name-dotdot", {"name": "../../x"}),
    ("name-too-long", {"name": "x" * 300}),
    ("name-not-a-string", {"name": ["a"]}),
    ("exp-file-escapes", {"experiment": {"file": "../../../etc/x.yaml"}}),
    ("exp-file-newline", {"experiment": {"file": "a\nb.yaml"}}),
    ("exp-module-injection", {"experiment": {"module": "m\nseq_length: 1"}}),
    ("exp-work-group-nul", {"experiment": {"work_group": "a\x00b"}}),
    ("exp-name-escape", {"experiment": {"exp_name": "a\x1b[2Jb"}}),
    ("arch-negative-layers", {"architecture": {"num_layers": -1}}),
    ("arch-nan-width", {"architecture": {"hidden_size": float("nan")}}),
    ("arch-nan-eps", {"architecture": {"layernorm_epsilon": float("nan")}}),
    ("arch-inf-std", {"architecture": {"init_method_std": float("inf")}}),
    ("arch-huge-width", {"architecture": {"hidden_size": 10 ** 29}}),
    ("arch-bool-layers", {"architecture": {"num_layers": True}}),
    ("arch-not-a-mapping", {"architecture": [1, 2]}),
    ("lr-nan", {"experiment": {"overrides": {"lr": float("nan")}}}),
    ("lr-inf", {"experiment": {"overrides": {"lr": float("inf")}}}),
    ("lr-bool", {"experiment": {"overrides": {"lr": True}}}),
    ("iters-text", {"experiment": {"overrides": {"train_iters": "ten"}}}),
    ("overrides-not-a-mapping", {"experiment": {"overrides": "lr=1"}}),
    ("repo-newline", {"model": {"repo": "TinyLlama/TinyLlama-1.1B-Chat-v1.0\n"}}),
    ("revision-newline", {"model": {"revision": "main\nx"}}),
    ("commit-not-a-sha", {"model": {"commit": "HEAD~1"}}),
    ("root-missing", {"target": {"primus_root": "/nonexistent/primus"}}),
    ("launch-mode", {"launch": {"mode": "explode"}}),
    ("overwrite-policy", {"overwrite": "sometimes"}),
    ("unknown-key", {"modle": {"repo": "x"}}),
    ("version", {"version": 99}),
    ("divergences-not-a-list", {"accept_divergences": "rope"}),
]

# (id, raw file text): what YAML itself can do to a loader
HOSTILE_TEXT = [
    ("alias-bomb", "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))),
    ("deep-nesting", "a: " + "[" * 5000 + "]" * 5000 + "\n"),
    ("binary", "\x00\x01\x02\xff garbage"),
    ("empty", ""),
    ("top-level-list", "- version: 1\n"),
    ("broken-yaml", "version: 1\nmodel:\n\trepo: x\n"),
    # over Python's 4,300-digit int limit
    ("huge-int-override", "version: 1\nexperiment:\n  overrides:\n    seq_length: " + "9" * 5000 + "\n"),
    ("huge-int-field", "version: 1\nmodel:\n  repo: TinyLlama/TinyLlama-1.1B-Chat-v1.0\narchitecture:\n  num_layers: "
     + "9" * 5000 + "\n"),
]


def _merge(data: dict, changes: dict) -> dict:
    out = dict(data)
    for key, value in changes.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _stage_dirs() -> set[str]:
    return {p for p in os.listdir(tempfile.gettempdir()) if p.startswith(("primus-tui-stage-", "primus-cli-status-"))}


def _assert_refused(cli, path: Path, tree: Path) -> None:
    before, stages = snapshot(tree), _stage_dirs()
    code, out, err = cli("--answers", path, "--force")
    assert code != 0, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and "Traceback" not in err, err
    assert code != 70, err  # an internal error is a bug, never the answer to bad input
    assert all(line.startswith(("primus-tui: ", "  ")) for line in lines), err  # messages, never a dump
    assert any(line.startswith("primus-tui: error: ") for line in lines), err
    assert snapshot(tree) == before and leftovers(tree) == []
    assert _stage_dirs() <= stages


@pytest.mark.parametrize("changes", [c for _, c in HOSTILE_CHANGES], ids=[i for i, _ in HOSTILE_CHANGES])
def test_hostile_answers_are_refused_in_one_line(cli, tree: Path, tmp_path: Path, changes: dict) -> None:
    base = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples/answers/tinyllama_1.1B.yaml").read_text())
    data = _merge(_merge(base, {"target": {"primus_root": str(tree)}}), changes)
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=10 ** 6))
    _assert_refused(cli, path, tree)


@pytest.mark.parametrize("text", [t for _, t in HOSTILE_TEXT], ids=[i for i, _ in HOSTILE_TEXT])
def test_hostile_yaml_is_refused_in_one_line(cli, tree: Path, tmp_path: Path, text: str) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    _assert_refused(cli, path, tree)


@pytest.mark.parametrize("kind", ["directory", "fifo", "dev-zero", "missing"])
def test_an_answers_path_that_is_no_regular_file_is_refused(cli, tree: Path, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "answers.yaml"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path = Path("/dev/zero")
    _assert_refused(cli, path, tree)
