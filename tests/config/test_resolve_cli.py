"""`primus-tui resolve` as a user runs it: stdout is data, stderr one line, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
LLAMA = "examples/megatron/configs/MI300X/llama3.1_8B-BF16-pretrain.yaml"


def run(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "primus_tui", "resolve", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


def test_yaml_output_is_the_merged_config() -> None:
    out = run(LLAMA)
    assert out.returncode == 0, out.stderr
    data = yaml.safe_load(out.stdout)
    assert data["max_position_embeddings"] == 8192 and data["seq_length"] == 8192
    assert data["tokenizer_model"] == "meta-llama/Llama-3.1-8B" and data["name"] == "pre_trainer"


def test_json_with_cli_overrides() -> None:
    out = run(LLAMA, "--format", "json", "train_iters=3", "--lr", "0.5")
    data = json.loads(out.stdout)
    assert data["train_iters"] == 3 and data["lr"] == 0.5


def test_show_source_names_file_and_line() -> None:
    out = run(LLAMA, "--show-source", "train_iters=3")
    lines = {line.split(":", 1)[0]: line for line in out.stdout.splitlines()}
    assert "# primus/configs/models/megatron/llama3_8B.yaml:9" in lines["hidden_size"]
    assert "# overrides @ " in lines["seq_length"] and "llama3.1_8B-BF16-pretrain.yaml" in lines["seq_length"]
    assert "# CLI override" in lines["train_iters"]
    assert "(env $PRIMUS_TEAM)" not in out.stdout  # module config has no env-derived key here


def test_show_source_json_and_env(tmp_path: Path) -> None:
    exp = tmp_path / "e.yaml"
    exp.write_text(
        "work_group: amd\nuser_name: u\nexp_name: e\nworkspace: ./o\nmodules:\n  pre_trainer:\n"
        "    framework: megatron\n    config: pre_trainer.yaml\n    model: llama2_7B.yaml\n"
        "    overrides:\n      train_iters: ${MY_ITERS:12}\n"
    )
    out = run(str(exp), "--format", "json", "--show-source")
    data = json.loads(out.stdout)
    assert data["train_iters"]["value"] == 12
    assert data["train_iters"]["source"]["env"] == ["MY_ITERS"] and data["train_iters"]["source"]["line"] == 11


def test_primus_root(primus_tree_copy: Path) -> None:
    preset = primus_tree_copy / "primus/configs/models/megatron/llama3_8B.yaml"
    preset.write_text(preset.read_text().replace("num_layers: 32", "num_layers: 31"))
    out = run(str(primus_tree_copy / LLAMA), "--primus-root", str(primus_tree_copy), "--format", "json")
    assert json.loads(out.stdout)["num_layers"] == 31
    assert json.loads(run(LLAMA, "--format", "json").stdout)["num_layers"] == 32


def test_shadowed_warning_on_stderr(tmp_path: Path, primus_tree_copy: Path) -> None:
    models = primus_tree_copy / "primus/configs/models/megatron"
    (models / "m.yaml").write_text("extends: [llama2_7B.yaml]\nseq_length: 4096\n")
    exp = tmp_path / "e.yaml"
    exp.write_text(
        "work_group: a\nuser_name: u\nexp_name: e\nworkspace: ./o\nmodules:\n  pre_trainer:\n"
        "    framework: megatron\n    config: pre_trainer.yaml\n    model: m.yaml\n"
    )
    out = run(str(exp), "--primus-root", str(primus_tree_copy))
    assert out.returncode == 0
    assert "shadowed: seq_length: model preset 4096" in out.stderr and "1024" in out.stderr


def _bad(tmp_path: Path, body: str) -> str:
    f = tmp_path / "bad.yaml"
    f.write_text(body)
    return str(f)


META = "work_group: a\nuser_name: u\nexp_name: e\nworkspace: ./o\n"


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda t: str(t / "missing.yaml"), "missing.yaml: file not found"),
        (lambda t: _bad(t, "a: [1\n"), "YAML syntax error at line"),
        (lambda t: _bad(t, "x: ${UNSET_FOR_TEST_123}\n"), "UNSET_FOR_TEST_123"),
        (lambda t: _bad(t, "work_group: a\n"), "missing required key 'user_name'"),
        (lambda t: _bad(t, META + "modules:\n  foo: {framework: megatron}\n"), "unknown module 'foo'"),
        (lambda t: _bad(t, META + "modules:\n  pre_trainer: {framework: megatron, config: pre_trainer.yaml, model: zz}\n"),
         "model preset 'zz' not found"),
        (lambda t: _bad(t, META + "modules:\n  pre_trainer: {framework: megatron, config: pre_trainer.yaml, model: ../../../../../etc/hosts}\n"),
         "path traversal"),
        (lambda t: _bad(t, "extends: 5\n"), "'extends' must be"),
    ],
)
def test_bad_input_is_one_line(tmp_path: Path, make, needle: str) -> None:
    out = run(make(tmp_path), cwd=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert needle in out.stderr


def test_extends_cycle_cli(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: [b.yaml]\n")
    (tmp_path / "b.yaml").write_text("extends: [a.yaml]\n")
    out = run(str(tmp_path / "a.yaml"), cwd=tmp_path)
    assert out.returncode == 2 and "extends cycle: a.yaml -> b.yaml -> a.yaml" in out.stderr


def test_malformed_cli_override_and_unknown_module() -> None:
    out = run(LLAMA, "oops")
    assert out.returncode == 2 and "malformed CLI override 'oops'" in out.stderr
    out = run(LLAMA, "--module", "post_processor")
    assert out.returncode == 2 and "no module named 'post_processor'" in out.stderr


def test_bad_primus_root(tmp_path: Path) -> None:
    out = run(LLAMA, "--primus-root", str(tmp_path))
    assert out.returncode == 2 and "not a Primus tree" in out.stderr
