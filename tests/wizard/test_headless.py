"""`primus-tui --answers F`: files, resolve check, plan, refusal, JSON, checklist, launch, replay."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from primus_tui.config import ConfigTree, resolve_experiment

from .conftest import EXAMPLE_ANSWERS, TINY_EXP, TINY_MODEL, TINY_REPO, snapshot

pytestmark = pytest.mark.usefixtures("hf_cache")

# TinyLlama-1.1B's config.json, as Megatron arguments (shared/README.md "Facts worth knowing").
TINYLLAMA = {
    "hidden_size": 2048,
    "ffn_hidden_size": 5632,
    "num_attention_heads": 32,
    "group_query_attention": True,
    "num_query_groups": 4,
    "num_layers": 22,
    "max_position_embeddings": 2048,
    "position_embedding_type": "rope",
    "rotary_base": 10000,
    "normalization": "RMSNorm",
    "layernorm_epsilon": 1e-5,
    "swiglu": True,
    "untie_embeddings_and_output_weights": True,
    "hidden_dropout": 0.0,
    "attention_dropout": 0.0,
    "add_bias_linear": False,
}
SEED_RUN = {"mock_data": True, "train_iters": 50, "micro_batch_size": 2, "global_batch_size": 128,
            "seq_length": 2048, "save": None, "disable_last_saving": True}


def resolved(root: Path, exp: Path = TINY_EXP) -> dict:
    return resolve_experiment(root / exp, ConfigTree.at(root)).module("pre_trainer").values


def test_seed_run_end_to_end(cli, write_answers, tree: Path) -> None:
    code, out, err = cli("--answers", write_answers())
    assert code == 0, err
    assert err == ""
    assert f"   create  {TINY_MODEL}" in out and f"   create  {TINY_EXP}" in out
    assert "parameters: 1,100,048,384" in out
    assert "resolved: the written files give the asked architecture" in out
    values = resolved(tree)
    for key, value in {**TINYLLAMA, **SEED_RUN}.items():
        assert values[key] == value, key
    model = yaml.safe_load((tree / TINY_MODEL).read_text())
    assert model["extends"] == ["language_model.yaml"]
    assert model["tokenizer_type"] == "HuggingFaceTokenizer" and model["tokenizer_model"] == TINY_REPO
    exp = yaml.safe_load((tree / TINY_EXP).read_text())
    assert exp["modules"]["pre_trainer"]["model"] == "tinyllama_1.1B.yaml"
    assert exp["modules"]["pre_trainer"]["framework"] == "megatron"
    assert exp["work_group"] == "${PRIMUS_TEAM:amd}" and exp["exp_name"] == "${PRIMUS_EXP_NAME:tinyllama_1.1B-pretrain}"
    checklist = out[out.index("checklist:"):]
    assert "[✓] 1. Choose a base model preset: language_model.yaml" in checklist
    assert f"[✓] 2. Create {TINY_MODEL}: {TINY_MODEL} written" in checklist
    assert f"[✓] 3. Point an experiment at model: tinyllama_1.1B.yaml: {TINY_EXP} written" in checklist
    assert f"[ ] 4. Run primus-cli direct -- train pretrain: not run (launch: none); run: ./primus-cli direct -- train pretrain --config {TINY_EXP}" in checklist

    code, out, err = cli("--answers", write_answers())  # second run: nothing to do
    assert code == 0, err
    assert f"unchanged  {TINY_MODEL}" in out and f"unchanged  {TINY_EXP}" in out


def test_pretend_writes_nothing_and_still_resolves(cli, write_answers, tree: Path) -> None:
    before = snapshot(tree)
    code, out, err = cli("--answers", write_answers(), "--pretend")
    assert code == 0, err
    assert snapshot(tree) == before
    assert f"   create  {TINY_MODEL}" in out
    assert "resolved: the planned files (not written) give the asked architecture" in out
    assert f"[ ] 2. Create {TINY_MODEL}: {TINY_MODEL} not written yet (would create)" in out


def test_json_report(cli, write_answers, tree: Path) -> None:
    code, out, err = cli("--answers", write_answers(), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["exit_status"] == 0
    assert [(f["path"], f["action"], f["written"]) for f in report["files"]] == [
        (str(TINY_MODEL), "create", True), (str(TINY_EXP), "create", True)]
    assert report["param_count"]["total"] == 1_100_048_384
    for key, value in TINYLLAMA.items():
        assert report["architecture"][key] == value, key
    assert report["architecture_checked"] is True
    assert report["launch"] == {"mode": "none", "command": None, "exit_code": None}
    assert [c["done"] for c in report["checklist"]] == [True, True, True, False]
    assert report["errors"] == [] and report["warnings"] == []
    assert report["target"] == str(tree) and report["name"] == "tinyllama_1.1B" and report["base"] == "language_model.yaml"


def test_json_report_on_bad_answers(cli, write_answers) -> None:
    code, out, err = cli("--answers", write_answers({"experiment": {"overrides": {"train_iter": 5}}}), "--json")
    assert code == 2
    report = json.loads(out)
    assert report["exit_status"] == 2
    assert report["errors"][0]["path"] == "experiment.overrides.train_iter"
    assert "did you mean 'train_iters'" in report["errors"][0]["message"]
    assert len(err.splitlines()) == 1


def test_existing_file_that_differs_is_refused_then_forced(cli, write_answers, tree: Path) -> None:
    answers = write_answers()
    assert cli("--answers", answers)[0] == 0
    model = tree / TINY_MODEL
    model.write_text(model.read_text() + "num_layers: 4\n")
    edited = snapshot(tree)

    code, out, err = cli("--answers", answers)
    assert code == 4
    assert err.count("\n") == 1 and "tinyllama_1.1B.yaml: exists and differs" in err and "--force" in err
    assert f"   modify  {TINY_MODEL}" in out and "-num_layers: 4" in out  # the diff is on stdout
    assert snapshot(tree) == edited  # neither file touched
    assert "[ ] 2. Create" in out and "needs --force" in out

    code, out, err = cli("--answers", answers, "--force")
    assert code == 0, err
    assert "num_layers: 4" not in model.read_text()
    [kept] = [line for line in out.splitlines() if line.startswith("kept the old ")]
    backup = Path(kept.split(" as ", 1)[1])  # --force keeps what it replaced, and says where
    assert backup.read_bytes() == edited[str(TINY_MODEL)] and ".primus-tui/backups/" in str(backup)

    model.write_text("# mine\n")
    forced = write_answers({"overwrite": "force"}, name="forced.yaml")
    code, _, err = cli("--answers", forced)  # `overwrite: force` alone is not enough: it needs --force too
    assert code == 4 and err.count("\n") == 1 and "takes effect only with --force" in err
    assert model.read_text() == "# mine\n"
    code, _, err = cli("--answers", forced, "--force")
    assert code == 0, err
    assert model.read_text() != "# mine\n"


def test_set_wins_over_the_file(cli, write_answers, tree: Path) -> None:
    code, _, err = cli("--answers", write_answers(), "--set", "experiment.overrides.train_iters=70",
                       "--set", "architecture.num_layers=4")
    assert code == 0, err
    values = resolved(tree)
    assert values["train_iters"] == 70 and values["num_layers"] == 4


def test_module_preset_keys_are_pinned_in_overrides(cli, write_answers, tree: Path) -> None:
    # pre_trainer.yaml sets log_interval: 1, which beats any model file: the wizard repeats it.
    code, out, err = cli("--answers", write_answers({"architecture": {"log_interval": 5}}))
    assert code == 0, err
    assert "log_interval: pre_trainer.yaml sets 1" in err
    exp = (tree / TINY_EXP).read_text()
    assert "# model keys that pre_trainer.yaml would otherwise override\n      log_interval: 5\n" in exp
    assert resolved(tree)["log_interval"] == 5


def test_save_answers_then_replay_is_byte_identical(cli, tmp_path: Path, tree: Path) -> None:
    minimal = tmp_path / "minimal.yaml"
    minimal.write_text(f"model:\n  repo: {TINY_REPO}\n")
    saved = tmp_path / "saved.yaml"
    code, out, err = cli("--answers", minimal, "--primus-root", tree, "--set", "name=tl",
                         "--set", "experiment.overrides.lr=3.0e-4", "--save-answers", saved)
    assert code == 0, err
    assert f"answers saved: {saved}" in out
    first = snapshot(tree)
    data = yaml.safe_load(saved.read_text())
    assert data["name"] == "tl" and data["base"]  # defaults and the ranked base are filled in
    assert data["model"]["revision"] == "main" and len(data["model"]["commit"]) == 40  # the commit is pinned
    assert data["experiment"]["overrides"]["lr"] == 3.0e-4 and data["experiment"]["overrides"]["seq_length"] == 2048
    assert data["target"]["primus_root"] == str(tree)

    for rel in ("primus/configs/models/megatron/tl.yaml", "examples/megatron/configs/MI300X/tl-pretrain.yaml"):
        (tree / rel).unlink()
    saved_again = tmp_path / "saved_again.yaml"
    code, _, err = cli("--answers", saved, "--save-answers", saved_again)
    assert code == 0, err
    assert snapshot(tree) == first
    assert saved_again.read_bytes() == saved.read_bytes()


def test_save_answers_with_pretend_writes_only_the_answers(cli, write_answers, tree: Path, tmp_path: Path) -> None:
    before = snapshot(tree)
    saved = tmp_path / "out" / "saved.yaml"
    code, _, err = cli("--answers", write_answers(), "--pretend", "--save-answers", saved)
    assert code == 0, err
    assert saved.is_file() and snapshot(tree) == before


def _fake_cli(root: Path, code: int) -> None:
    script = root / "primus-cli"
    script.write_text(f"#!/bin/sh\necho \"fake primus-cli $*\"\nexit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


@pytest.mark.parametrize("mode", ["dry-run", "run"])
def test_launch_runs_primus_cli_and_streams_its_output(cli, write_answers, tree: Path, mode: str) -> None:
    _fake_cli(tree, 0)
    # TinyLlama at seq 2048 does not fit a laptop: this test is about streaming, so allow it
    answers = write_answers({"launch": {"env": {"NCCL_DEBUG": "INFO"}, "single": True, "allow_over_memory": True}})
    code, out, err = cli("--answers", answers, "--launch", mode)
    assert code == 0, err
    dry = "--dry-run " if mode == "dry-run" else ""
    expected = f"{dry}direct --single --env NCCL_DEBUG=INFO -- train pretrain --config {TINY_EXP}"
    assert f"$ {tree}/primus-cli {expected}\n" in out
    assert f"fake primus-cli {expected}\n" in out
    if mode == "run":
        assert "[✓] 4. Run primus-cli direct -- train pretrain: training run finished (exit 0)" in out
    else:
        assert "[ ] 4. Run primus-cli direct -- train pretrain: dry run only" in out


def test_launch_failure_is_exit_3(cli, write_answers, tree: Path) -> None:
    _fake_cli(tree, 1)
    code, out, err = cli("--answers", write_answers({"launch": {"mode": "run", "allow_over_memory": True}}), "--json")
    assert code == 3
    assert err.splitlines()[-1] == "primus-tui: error: primus-cli run failed (exit 1)"
    report = json.loads(out)  # the launch log went to stderr, stdout is only the report
    assert report["exit_status"] == 3 and report["launch"]["exit_code"] == 1
    assert report["checklist"][3]["reason"] == "run failed (exit 1)"


def test_run_that_will_not_fit_is_refused_in_one_line(cli, write_answers, tree: Path) -> None:
    """TinyLlama at seq 2048, micro-batch 2 needs ~55 GiB: no machine here has that free."""
    _fake_cli(tree, 0)
    code, out, err = cli("--answers", write_answers({"launch": {"mode": "run", "single": True}}), "--json")
    assert code == 3
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("primus-tui: error: CPU: needs ~") and "GiB available" in err
    assert "set launch.allow_over_memory: true to launch anyway" in err
    report = json.loads(out)
    assert report["launch"]["exit_code"] is None and report["launch"]["memory"]["fits"] is False
    assert report["launch"]["memory"]["change"]  # the smallest change that fits, as overrides


def test_run_that_fits_is_not_questioned(cli, write_answers, tree: Path) -> None:
    _fake_cli(tree, 0)
    small = {"experiment": {"overrides": {"seq_length": 64, "micro_batch_size": 1}},
             "architecture": {"num_layers": 2, "hidden_size": 64, "ffn_hidden_size": 128, "num_attention_heads": 4,
                              "num_query_groups": 2, "kv_channels": 16}}
    code, out, err = cli("--answers", write_answers({**small, "launch": {"mode": "run", "single": True}}), "--json")
    assert code == 0, err
    assert json.loads(out)["launch"]["memory"]["fits"] is True


def test_launch_without_primus_cli_is_exit_3(cli, write_answers) -> None:
    code, _, err = cli("--answers", write_answers({"launch": {"mode": "dry-run"}}))
    assert code == 3
    assert err.startswith("primus-tui: error: cannot start ") and err.count("\n") == 1


# ---- bad input: one line, the right exit code, no traceback, nothing written --------------------

BAD = [
    ("missing file", None, 2, "answers file not found"),
    ("empty file", "", 2, "answers file is empty"),
    ("not YAML", "model: [oops\n", 2, "not valid YAML at line"),
    ("not a mapping", "- 1\n", 2, "expected a mapping of answers"),
    ("wrong type", {"experiment": {"overrides": {"train_iters": "fifty"}}}, 2,
     "experiment.overrides.train_iters: expected an integer, got str 'fifty'"),
    ("wrong type for a preset key", {"architecture": {"swiglu": "yes"}}, 2,
     "architecture.swiglu: expected true or false"),
    ("unknown answers key", {"experimnet": {}}, 2, "experimnet: unknown key (did you mean 'experiment'?)"),
    ("unknown override", {"experiment": {"overrides": {"micro_batch": 2}}}, 2,
     "experiment.overrides.micro_batch: unknown Megatron key (did you mean 'micro_batch_size'?)"),
    ("unknown architecture key", {"architecture": {"num_layer": 2}}, 2,
     "architecture.num_layer: unknown Megatron key (did you mean 'num_layers'?)"),
    ("inert architecture key", {"architecture": {"norm_epsilon": 1e-6}}, 2,
     "architecture.norm_epsilon: inert key, only model_type deepseek_v4 reads it"),
    ("inert key suggests the live dest", {"architecture": {"norm_epsilon": 1e-6}}, 2,
     "(did you mean 'layernorm_epsilon'?)"),
    ("dest gpt_builder never passes", {"architecture": {"rope_scaling_factor": 32.0}}, 2,
     "architecture.rope_scaling_factor: inert key, gpt_builder does not pass it; GPTModel uses 8.0"),
    ("bad primus_only_keys", {"primus_only_keys": ["a b"]}, 2, "primus_only_keys[0]: expected a key name"),
    ("model not in cache offline", {"model": {"repo": "nobody/not-cached", "revision": None, "commit": None}}, 2, "model.repo: "),
    ("base does not exist", {"base": "langauge_model.yaml"}, 2,
     "base: preset 'langauge_model.yaml' not found in primus/configs/models/megatron/ (did you mean 'language_model.yaml'?)"),
    ("name with a slash", {"name": "a/b"}, 2, "name: name 'a/b' must be a plain file name"),
    ("name with ..", {"name": "..evil"}, 2, "name: name '..evil' must not contain '..'"),
    ("seq_length over positions", {"experiment": {"overrides": {"seq_length": 4096}}}, 2,
     "experiment.overrides.seq_length: 4096 exceeds max_position_embeddings 2048"),
    ("batch sizes", {"experiment": {"overrides": {"global_batch_size": 127}}}, 2,
     "experiment.overrides.global_batch_size: global_batch_size 127 is not a multiple of micro_batch_size 2"),
    ("launch mode", {"launch": {"mode": "go"}}, 2, "launch.mode: 'go' is not one of none, dry-run, run"),
]


def test_primus_only_keys_lets_a_key_through_on_purpose(cli, write_answers) -> None:
    """A key no registry knows (a Primus patch reads it) is accepted only when named as such."""
    answers = {"experiment": {"overrides": {"my_patch_knob": 3}}}
    code, _, err = cli("--answers", write_answers(answers), "--pretend")
    assert code == 2 and "experiment.overrides.my_patch_knob: unknown Megatron key" in err
    code, _, err = cli("--answers", write_answers({**answers, "primus_only_keys": ["my_patch_knob"]}), "--pretend")
    assert code == 0, err
    assert "dead key: unknown: my_patch_knob" in err  # still reported: Megatron will not read it


@pytest.mark.parametrize("label, content, code, needle", BAD, ids=[b[0] for b in BAD])
def test_bad_input(cli, write_answers, tmp_path: Path, tree: Path, label: str, content, code: int, needle: str) -> None:
    if isinstance(content, dict):
        answers = write_answers(content)
    else:
        answers = tmp_path / "bad.yaml"
        if content is not None:
            answers.write_text(content)
    before = snapshot(tree)
    got, out, err = cli("--answers", answers)
    assert got == code, err
    assert err.count("\n") == 1, err
    assert err.startswith("primus-tui: error: ") and needle in err
    assert "Traceback" not in err + out
    assert snapshot(tree) == before


def test_all_problems_at_once(cli, write_answers) -> None:
    answers = write_answers({"name": "a/b", "experiment": {"overrides": {"train_iters": 0, "lrr": 1.0}},
                             "launch": {"mode": "x"}})
    code, _, err = cli("--answers", answers)
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 4, err
    assert all(line.startswith(f"primus-tui: error: {answers}: ") for line in lines)
    joined = "\n".join(lines)
    for needle in ("name: name 'a/b'", "experiment.overrides.train_iters: must be >= 1, got 0",
                   "experiment.overrides.lrr: unknown Megatron key (did you mean 'lr'?)", "launch.mode:"):
        assert needle in joined


def test_target_not_a_primus_tree(cli, write_answers, tmp_path: Path) -> None:
    empty = tmp_path / "not_primus"
    (empty / "primus" / "configs").mkdir(parents=True)
    for root, needle in ((tmp_path / "nowhere", "not a Primus tree"), (empty, "not a Primus tree")):
        code, _, err = cli("--answers", write_answers(), "--primus-root", root)
        assert code == 2 and err.count("\n") == 1
        assert "target.primus_root: " in err and needle in err


def test_unwritable_target_folder_leaves_nothing(cli, write_answers, tree: Path) -> None:
    # Works as root too: a file where the experiment folder should be makes the write fail.
    folder = tree / TINY_EXP.parent
    for f in folder.iterdir():
        f.unlink()
    folder.rmdir()
    folder.write_text("not a folder\n")
    before = snapshot(tree)
    code, _, err = cli("--answers", write_answers())
    assert code == 2 and err.count("\n") == 1
    assert "cannot write" in err and "nothing was written" in err
    assert snapshot(tree) == before
    assert not list(tree.rglob(".*.tmp"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_target_folder(cli, write_answers, tree: Path) -> None:
    folder = tree / TINY_MODEL.parent
    folder.chmod(0o555)
    try:
        before = snapshot(tree)
        code, _, err = cli("--answers", write_answers())
        assert code == 2 and err.count("\n") == 1 and "Permission denied" in err
        assert snapshot(tree) == before
    finally:
        folder.chmod(0o755)


def test_flags_need_answers(cli) -> None:
    code, _, err = cli("--pretend")
    assert code == 2 and "--pretend: only with --answers FILE" in err


def test_interactive_hands_the_state_to_the_app(cli, write_answers, monkeypatch: pytest.MonkeyPatch, tree: Path) -> None:
    import primus_tui.tui.app as app

    calls = []
    monkeypatch.setattr(app, "run_app", lambda **kw: calls.append(kw) or 0, raising=False)
    assert cli("--answers", write_answers(), "--interactive")[0] == 0
    state = calls[0]["state"]
    assert state.name == "tinyllama_1.1B" and state.mapping is not None and state.root == tree
    assert cli("--primus-root", tree)[0] == 0
    assert calls[1] == {"state": None, "primus_root": str(tree)}


def test_real_primus_checkout(cli, write_answers, tmp_path: Path) -> None:
    src = Path("/tmp/primus_src")
    if not (src / "primus" / "configs").is_dir():
        pytest.skip("no Primus checkout at /tmp/primus_src")
    import shutil

    root = tmp_path / "Primus"
    shutil.copytree(src / "primus" / "configs", root / "primus" / "configs")
    shutil.copytree(src / "examples", root / "examples")
    code, out, err = cli("--answers", write_answers(), "--primus-root", root)
    assert code == 0, err
    values = resolved(root)
    for key, value in {**TINYLLAMA, **SEED_RUN}.items():
        assert values[key] == value, key


def test_headless_subprocess_has_no_textual_import(tmp_path: Path, write_answers, tree: Path) -> None:
    code = (
        "import sys; from primus_tui.cli import main; rc = main(sys.argv[1:]); "
        "print('IMPORTED', sorted(m for m in ('textual', 'torch', 'megatron') if m in sys.modules)); sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code, "--answers", str(write_answers()), "--pretend"],
                          capture_output=True, text=True, env=os.environ.copy())
    assert proc.returncode == 0, proc.stderr
    assert "IMPORTED []" in proc.stdout


def test_example_answers_file_is_complete() -> None:
    """The committed example uses no key the schema does not know."""
    from primus_tui.wizard.schema import parse_answers

    _, problems = parse_answers(yaml.safe_load(EXAMPLE_ANSWERS.read_text()))
    assert problems == []


def test_seed_verification_with_the_real_primus_cli_dry_run(cli) -> None:
    """The seed's step 5 on the bundled tree (whose committed files are already up to date)."""
    if not (Path(__file__).resolve().parents[2] / "primus-cli").is_file():
        pytest.skip("no ./primus-cli")
    code, out, err = cli("--answers", EXAMPLE_ANSWERS, "--launch", "dry-run")
    assert code == 0, err
    assert f"unchanged  {TINY_MODEL}" in out and f"unchanged  {TINY_EXP}" in out  # nothing written
    dry = out[out.index("[DRY RUN]"):]
    assert "framework     : megatron" in dry
    assert "tinyllama_1.1B.yaml" in dry.split("model file", 1)[1].splitlines()[0]
    assert f"HuggingFaceTokenizer {TINY_REPO}" in dry
    assert "[ ] 4. Run primus-cli direct -- train pretrain: dry run only" in out


@pytest.mark.slow
def test_launch_run_trains_a_tiny_model_on_cpu(cli, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole path: answers -> files -> the real ./primus-cli direct --single -> a CPU training run."""
    import shutil

    repo = Path(__file__).resolve().parents[2]
    if not (repo / "primus-cli").is_file():
        pytest.skip("no ./primus-cli")
    shutil.copy2(repo / "primus-cli", tree / "primus-cli")  # a copy: its folder is the tree it reads
    monkeypatch.setenv("PRIMUS_PYTHON", sys.executable)
    answers = tmp_path / "tiny.yaml"
    answers.write_text(yaml.safe_dump({
        "model": {"repo": TINY_REPO},
        "name": "tinyllama_smoke",
        "base": "language_model.yaml",
        "architecture": {"num_layers": 2, "hidden_size": 64, "ffn_hidden_size": 128, "num_attention_heads": 4,
                         "num_query_groups": 2, "kv_channels": 16, "max_position_embeddings": 128},
        "experiment": {"overrides": {"train_iters": 3, "micro_batch_size": 1, "global_batch_size": 2,
                                     "seq_length": 64, "lr": 1.0e-3, "lr_warmup_iters": 1}},
        "launch": {"mode": "run", "single": True},
    }))
    code, out, err = cli("--answers", answers, "--primus-root", tree)
    assert code == 0, err + out[-2000:]
    assert "iteration        3/       3" in out
    assert "[✓] 4. Run primus-cli direct -- train pretrain: training run finished (exit 0)" in out


def test_warmup_longer_than_the_run_is_caught_before_launch(cli, write_answers) -> None:
    code, _, err = cli("--answers", write_answers({"experiment": {"overrides": {"train_iters": 10}}}))
    assert code == 2 and err.count("\n") == 1
    assert "experiment.overrides.train_iters: 10 must be > lr_warmup_iters 40 (from pre_trainer.yaml)" in err


def test_checklist_is_printed_with_the_reason_when_answers_are_bad(cli, write_answers) -> None:
    code, out, _ = cli("--answers", write_answers({"base": "nope.yaml"}))
    assert code == 2
    assert "[ ] 1. Choose a base model preset: blocked: base: preset 'nope.yaml' not found" in out
    assert "[ ] 2. Create primus/configs/models/megatron/tinyllama_1.1B.yaml: blocked: base:" in out


def test_local_model_folder_relative_to_the_answers_file(cli, tmp_path: Path, tree: Path) -> None:
    import shutil

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "hf_configs" / "TinyLlama--TinyLlama-1.1B-Chat-v1.0"
    shutil.copytree(fixture, tmp_path / "models" / "tiny")
    answers = tmp_path / "local.yaml"
    answers.write_text("model:\n  path: models/tiny\nname: tiny_local\nbase: language_model\n")
    code, out, err = cli("--answers", answers, "--primus-root", tree)
    assert code == 0, err
    values = resolved(tree, Path("examples/megatron/configs/MI300X/tiny_local-pretrain.yaml"))
    for key, value in TINYLLAMA.items():
        assert values[key] == value, key


def test_llama32_rope_factor_is_refused_unless_accepted_by_name(cli, write_answers) -> None:
    """Llama-3.2's rope_scaling.factor 32 cannot reach GPTModel through Primus (fixed 8.0)."""
    model = {"model": {"repo": "meta-llama/Llama-3.2-1B", "revision": None, "commit": None}, "name": "llama32_1b"}
    code, _, err = cli("--answers", write_answers(model), "--pretend")
    assert code == 2 and "accept with --accept-divergence rope_scaling_factor" in err, err
    code, _, err = cli("--answers", write_answers({**model, "accept_divergences": ["rope_scaling_facto"]}), "--pretend")
    assert code == 2 and "accept_divergences: " in err and "acceptable: rope_scaling_factor" in err, err
    code, out, err = cli("--answers", write_answers({**model, "accept_divergences": ["rope_scaling_factor"]}),
                         "--pretend", "--json")
    assert code == 0, err
    report = json.loads(out)
    [accepted] = report["accepted_divergences"]
    assert (accepted["key"], accepted["hf_value"], accepted["megatron_value"]) == ("rope_scaling_factor", 32.0, 8.0)
    step2 = report["checklist"][1]
    assert "accepted divergence: rope_scaling_factor" in step2["reason"]
