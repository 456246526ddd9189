"""`primus-tui import` as a user runs it: stdout/stderr/exit codes, --write safety, bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from hf_helpers import assert_one_line_error, run_cli

TINY = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"


def test_print_yaml_to_stdout_diagnostics_to_stderr(hf_cache) -> None:
    proc = run_cli("import", TINY, "--name", "tinyllama_1.1B")
    assert proc.returncode == 0, proc.stderr
    data = yaml.safe_load(proc.stdout)
    assert data["group_query_attention"] is True and data["num_query_groups"] == 4
    assert data["tokenizer_model"] == TINY and proc.stdout.startswith("# tinyllama_1.1B.yaml")
    assert "primus-tui: parameters: 1,100,048,384 (HF config) = 1,100,048,384 (Megatron fields)" in proc.stderr
    assert "primus-tui: base: " in proc.stderr and "Traceback" not in proc.stderr
    assert run_cli("import", TINY, "--name", "tinyllama_1.1B").stdout == proc.stdout  # byte-identical


def test_base_choice(hf_cache) -> None:
    proc = run_cli("import", TINY, "--base", "language_model.yaml", "--print")
    data = yaml.safe_load(proc.stdout)
    assert data["extends"] == ["language_model.yaml"] and data["normalization"] == "RMSNorm"
    assert data["position_embedding_type"] == "rope" and data["hidden_dropout"] == 0.0


def test_write_refuses_to_overwrite_then_force(hf_cache, primus_tree_copy: Path) -> None:
    root = str(primus_tree_copy)
    target = primus_tree_copy / "primus/configs/models/megatron/tinyllama_hf_test.yaml"
    first = run_cli("import", TINY, "--name", "tinyllama_hf_test", "--write", "--primus-root", root)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == str(target) and target.is_file()
    text = target.read_text()
    again = run_cli("import", TINY, "--name", "tinyllama_hf_test", "--write", "--primus-root", root)
    assert again.returncode == 0 and target.read_text() == text  # identical: no-op
    target.write_text(text + "# my edit\n")
    refused = run_cli("import", TINY, "--name", "tinyllama_hf_test", "--write", "--primus-root", root)
    assert_one_line_error(refused, 4, "exists and differs", "--force")
    assert target.read_text().endswith("# my edit\n")
    forced = run_cli("import", TINY, "--name", "tinyllama_hf_test", "--write", "--force", "--primus-root", root)
    assert forced.returncode == 0 and target.read_text() == text
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]


def test_written_model_resolves(hf_cache, primus_tree_copy: Path) -> None:
    root = str(primus_tree_copy)
    assert run_cli("import", TINY, "--name", "tiny", "--write", "--primus-root", root).returncode == 0
    exp = primus_tree_copy / "exp.yaml"
    exp.write_text("work_group: amd\nuser_name: root\nexp_name: t\nworkspace: ./out\nmodules:\n  pre_trainer:\n    framework: megatron\n    config: pre_trainer.yaml\n"
                   "    model: tiny.yaml\n    overrides:\n      seq_length: 2048\n")
    proc = run_cli("resolve", str(exp), "--primus-root", root, "--format", "json")
    values = json.loads(proc.stdout)
    assert values["num_query_groups"] == 4 and values["normalization"] == "RMSNorm" and values["seq_length"] == 2048


def test_json_report(hf_cache) -> None:
    proc = run_cli("import", TINY, "--json")
    report = json.loads(proc.stdout)
    assert report["commit_sha"] == hf_cache[TINY] and report["params"]["hf"] == 1_100_048_384
    assert report["fields"]["num_query_groups"] == 4 and {"A", "B"} <= {b["option"] for b in report["bases"]}
    assert report["yaml"].startswith("#")


def test_local_config_path(tmp_path: Path) -> None:
    from hf_helpers import HF_FIXTURES

    folder = tmp_path / "qwen3"
    folder.mkdir()
    (folder / "config.json").write_text((HF_FIXTURES / "Qwen--Qwen3-0.6B" / "config.json").read_text())
    proc = run_cli("import", str(folder))
    assert proc.returncode == 0, proc.stderr
    data = yaml.safe_load(proc.stdout)
    assert data["tokenizer_model"] == str(folder) and data["kv_channels"] == 128 and data["qk_layernorm"] is True


def test_sliding_window_note_and_padding_line(hf_cache) -> None:
    mistral = run_cli("import", "mistralai/Mistral-7B-v0.1")
    assert "window_size: [4095, 0]" in mistral.stdout and "note: sliding-window" in mistral.stderr
    phi = run_cli("import", "microsoft/Phi-3-mini-4k-instruct")
    assert "vocab padding: +393,216 parameters" in phi.stderr


# ---------------------------------------------------------------- bad inputs: one line, exit code, no traceback

def test_not_cached(hf_cache) -> None:
    assert_one_line_error(run_cli("import", "org/nothing-here"), 2, "org/nothing-here", "not in the Hugging Face cache")


def test_not_causal(hf_cache) -> None:
    assert_one_line_error(run_cli("import", "google-bert/bert-base-uncased"), 2, "not a causal-LM config")


def test_unsupported_model(hf_cache) -> None:
    assert_one_line_error(run_cli("import", "google/gemma-2b"), 2, "cannot be expressed", "(1 + weight)")
    assert_one_line_error(run_cli("import", "microsoft/Phi-3-mini-128k-instruct"), 2, "longrope")


def test_malformed_json(tmp_path: Path) -> None:
    bad = tmp_path / "config.json"
    bad.write_text("{not json")
    assert_one_line_error(run_cli("import", str(bad)), 2, "malformed JSON")


def test_bad_name_and_base(hf_cache) -> None:
    assert_one_line_error(run_cli("import", TINY, "--name", "../escape"), 2, "--name")
    assert_one_line_error(run_cli("import", TINY, "--base", "nope.yaml"), 2, "nope.yaml")


def test_bad_revision_offline(hf_cache) -> None:
    assert_one_line_error(run_cli("import", TINY, "--revision", "v0"), 2, "@v0")


def test_bad_primus_root(hf_cache, tmp_path: Path) -> None:
    assert_one_line_error(run_cli("import", TINY, "--primus-root", str(tmp_path)), 2, "not a Primus tree")


def test_import_path_never_imports_torch(hf_cache) -> None:
    import subprocess
    import sys

    code = ("import sys, io; from primus_tui.cli import main; sys.stdout = io.StringIO(); "
            f"rc = main(['import', {TINY!r}]); sys.stdout = sys.__stdout__; "
            "print(rc, sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'megatron', 'textual')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "0 []"
