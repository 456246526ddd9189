"""Adversarial inputs: each must fail with one line, a non-zero exit, the tree unchanged, nothing left."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from primus_tui.config import ConfigError
from primus_tui.config.cli_overrides import parse_cli_overrides
from primus_tui.config.yamlfile import load_yaml_file
from primus_tui.config.yamlsafe import comment, prove
from primus_tui.hf.validate import validate_fields
from primus_tui.launch.envfile import load_env_file
from primus_tui.launch.errors import LaunchError
from primus_tui.wizard.answersfile import load_answers_file
from primus_tui.wizard.errors import WizardError

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "primus_tui", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "HF_HUB_OFFLINE": "1"})


def _tree(path: Path) -> dict:
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


FIXTURE = next((ROOT / "tests/fixtures/hf_configs").glob("*inyllama*/config.json"), None) or \
    next((ROOT / "tests/fixtures/hf_configs").glob("*/config.json"))


def test_import_name_with_trailing_newline_is_refused(tmp_path: Path) -> None:
    before = _tree(tmp_path)
    r = _cli("import", str(FIXTURE), "--name", "evil\n", "--write", cwd=tmp_path)
    assert r.returncode != 0
    assert "--name" in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert _tree(tmp_path) == before


def test_local_folder_name_cannot_inject_a_key(tmp_path: Path) -> None:
    import yaml

    folder = tmp_path / "m\nseq_length: 999999\n#"
    folder.mkdir()
    (folder / "config.json").write_bytes(FIXTURE.read_bytes())
    r = _cli("import", str(folder), "--print", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "seq_length" not in yaml.safe_load(r.stdout)


def test_comment_cannot_break_the_line() -> None:
    text = f"# {comment('m' + chr(10) + 'seq_length: 999999' + chr(10) + '#')}\na: 1\n"
    prove(text, {"a": 1}, "x.yaml")  # the folder name stays inside the comment
    for ch in ("\n", "\r", "\x85", "\u2028", "\u2029", "\x00"):
        assert ch not in comment(f"a{ch}b")


def test_prove_rejects_an_injected_key_and_nan() -> None:
    with pytest.raises(ConfigError, match="other keys"):
        prove("a: 1\nseq_length: 999999\n", {"a": 1}, "m.yaml")
    with pytest.raises(ConfigError, match="not a finite number"):
        prove("lr: .nan\n", {"lr": float("nan")}, "m.yaml")


@pytest.mark.parametrize("fields,needle", [
    ({"layernorm_epsilon": float("nan")}, "finite"),
    ({"init_method_std": float("inf")}, "finite"),
    ({"hidden_size": 10**29}, "[1, 16,777,216]"),
])
def test_numbers_out_of_range_are_errors(fields: dict, needle: str) -> None:
    problems = [p for p in validate_fields(fields) if p.severity == "error"]
    assert problems and needle in problems[0].message


@pytest.mark.parametrize("tokens,needle", [
    (["--lr"], "needs a value"), (["lr=true"], "takes a number"), (["seq_length=2.5"], "takes an int"),
])
def test_cli_overrides_are_typed_by_the_registry(tokens: list, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        parse_cli_overrides(tokens)
    assert parse_cli_overrides(["--bf16", "--lr", "0.1"]) == {"bf16": True, "lr": 0.1}


def _bomb(path: Path) -> Path:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_alias_bomb_fifo_and_device_fail_fast(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    start = time.monotonic()
    for path, needle in ((_bomb(tmp_path / "bomb.yaml"), "nodes once aliases"), (fifo, "not a regular file"),
                         (Path("/dev/zero"), "not a regular file")):
        with pytest.raises(ConfigError, match=needle) as exc:
            load_yaml_file(path)
        assert str(path) in str(exc.value) and "\n" not in str(exc.value)
        with pytest.raises(WizardError, match=needle):
            load_answers_file(path)
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 200 + "]" * 200 + "\n")
    with pytest.raises(ConfigError, match="deeper than"):
        load_yaml_file(deep)
    assert time.monotonic() - start < 10


def _alive(marker: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
                state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if marker.encode() in cmd and state != "Z":
                pids.append(int(entry))
    return pids


def test_timed_out_env_file_leaves_no_process(tmp_path: Path) -> None:
    marker = "317.25"  # a sleep no one else runs
    env = tmp_path / "slow.env"
    env.write_text(f"sleep {marker}\n")
    with pytest.raises(LaunchError, match="did not finish within 1 s"):
        load_env_file(env, dict(os.environ), timeout=1)
    time.sleep(0.2)
    assert _alive(marker) == []
