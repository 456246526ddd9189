"""./primus-cli end to end without training: dry-run output, bad input, exit codes."""

from __future__ import annotations

import shlex
import socket
import sys

import pytest

from tests.launch.clihelp import REPO, TINY_EXP

TRAIN = ["train", "pretrain", "--config", str(TINY_EXP)]


def test_dry_run_prints_exact_command_env_and_resolved_config(cli, tmp_path):
    res = cli("--dry-run", "direct", "--env", "NCCL_DEBUG=INFO", "--log_file", str(tmp_path / "run.log"), "--",
              *TRAIN, "train_iters=5", "--lr", "0.01", GPUS_PER_NODE="2", MASTER_PORT="29555")
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    expected = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--nnodes", "1",
                "--node_rank", "0", "--master_addr", "localhost", "--master_port", "29555",
                "-m", "primus_tui.trainer", *TRAIN, "train_iters=5", "--lr", "0.01"]
    assert f"  command       : {shlex.join(expected)}" in out
    for line in [
        "  run mode      : torchrun",
        "  framework     : megatron",
        f"  model file    : {REPO / 'primus/configs/models/megatron/tiny_llama_cpu.yaml'}",
        "  overrides     : train_iters=5 --lr 0.01",
        f"  log file      : {tmp_path / 'run.log'}",
        "    NCCL_DEBUG       = INFO   (--env)",
        "    GPUS_PER_NODE    = 2   (environment)",
        "    MASTER_PORT      = 29555   (environment)",
        "    NNODES           = 1   (default)",
        "    MASTER_ADDR      = localhost   (default)",
        f"    PRIMUS_CLI_ROOT  = {REPO}   (launcher)",
        "  resolved config (modules.pre_trainer):",
        "    train_iters: 5",
        "    lr: 0.01",
        "    num_layers: 2",
        "    hidden_size: 64",
        "    num_query_groups: 2",
    ]:
        assert line in out, line
    assert not (tmp_path / "run.log").exists()  # nothing ran


def test_dry_run_single_is_plain_python(cli):
    res = cli("--dry-run", "direct", "--single", "--", *TRAIN)
    assert res.returncode == 0, res.stderr
    assert f"  command       : {shlex.join([sys.executable, '-m', 'primus_tui.trainer', *TRAIN])}" in res.stdout
    assert "GPUS_PER_NODE" not in res.stdout  # no torchrun, no rendezvous


def test_dry_run_gpus_default_to_visible_devices(cli):
    res = cli("--dry-run", "direct", "--", *TRAIN, "global_batch_size=16", CUDA_VISIBLE_DEVICES="0,1,2,3")
    assert "--nproc_per_node 4" in res.stdout
    assert "GPUS_PER_NODE    = 4   (visible GPUs: CUDA_VISIBLE_DEVICES)" in res.stdout


def test_slurm_dry_run_prints_the_srun_line(cli):
    res = cli("--dry-run", "slurm", "srun", "-N", "2", "--", "direct", "--env", "A=1", "--", *TRAIN)
    assert res.returncode == 0, res.stderr
    line = next(l for l in res.stdout.splitlines() if l.startswith("  command"))
    argv = shlex.split(line.split(":", 1)[1])
    assert argv[:6] == ["srun", "-N", "2", "--ntasks-per-node=1", "bash", "-c"]
    assert argv[6].endswith(shlex.join([str(REPO / "primus-cli"), "direct", "--env", "A=1", "--", *TRAIN]))
    assert "run mode      : srun" in res.stdout


def test_help_and_version(cli):
    res = cli("--help")
    assert res.returncode == 0 and res.stdout.startswith("usage: primus-cli")
    assert cli("--version").stdout.startswith("primus-cli")


@pytest.mark.parametrize(
    "args",
    [
        ["bogus", "--", *TRAIN],
        ["direct", "--frobnicate", "--", *TRAIN],
        ["direct", *TRAIN],
        ["direct", "--", "benchmark", "gemm"],
    ],
)
def test_bad_arguments_exit_2_with_usage(cli, args):
    res = cli(*args)
    assert res.returncode == 2
    first, *rest = res.stderr.splitlines()
    assert first.startswith("primus-cli: error: ")
    assert rest and rest[0].startswith("usage: primus-cli")
    assert "Traceback" not in res.stderr


def _one_line_error(res, code: int) -> str:
    assert res.returncode == code, res.stdout + res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("primus-cli: error: "), res.stderr
    return lines[0]


def test_missing_config_is_one_line_exit_2(cli, tmp_path):
    line = _one_line_error(cli("direct", "--single", "--", "train", "pretrain", "--config", str(tmp_path / "nope.yaml")), 2)
    assert "nope.yaml" in line and "not found" in line


@pytest.mark.parametrize(
    "content, needle",
    [
        ("modules: [\n", "exp.yaml"),  # YAML syntax error
        ("work_group: a\nuser_name: b\nexp_name: c\nworkspace: d\n", "modules"),
        ("work_group: a\nuser_name: b\nexp_name: c\nworkspace: d\nmodules:\n  pre_trainer:\n    framework: megatron\n"
         "    config: pre_trainer.yaml\n    model: no_such_model.yaml\n", "no_such_model"),
    ],
)
def test_invalid_config_is_one_line_exit_2(cli, tmp_path, content, needle):
    exp = tmp_path / "exp.yaml"
    exp.write_text(content)
    assert needle in _one_line_error(cli("direct", "--single", "--", "train", "pretrain", "--config", str(exp)), 2)


@pytest.mark.parametrize(
    "override, needle",
    [
        ("tensor_model_parallel_size=2", "tensor_model_parallel_size"),
        ("num_query_groups=3", "num_query_groups"),
        ("normalization=Foo", "normalization"),
        ("global_batch_size=7", "global_batch_size"),  # 7 is not a multiple of micro 4 x 1 rank
        ("lr_decay_style=bogus", "lr_decay_style"),
        ("train_iters=abc", "train_iters"),
    ],
)
def test_untrainable_config_is_exit_2_naming_the_key(cli, override, needle):
    assert needle in _one_line_error(cli("--dry-run", "direct", "--", *TRAIN, override), 2)


def test_batch_must_split_over_the_ranks(cli):
    line = _one_line_error(cli("--dry-run", "direct", "--", *TRAIN, GPUS_PER_NODE="3"), 2)
    assert "global_batch_size: 8 is not a multiple of micro_batch_size x data-parallel size (4 x 3)" in line


def test_port_in_use_is_exit_2(cli):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = _one_line_error(cli("direct", "--", *TRAIN, GPUS_PER_NODE="2", MASTER_PORT=str(port)), 2)
    assert f"MASTER_PORT {port} is already in use" in line


def test_missing_megatron_is_exit_1_naming_the_extra(cli, tmp_path):
    # A non-package `megatron` module shadows the installed one: `megatron.core` cannot be found.
    (tmp_path / "megatron.py").write_text("")
    line = _one_line_error(cli("direct", "--single", "--", *TRAIN, PYTHONPATH=str(tmp_path)), 1)
    assert "megatron-core" in line and "make train-extra" in line


def test_numa_is_ignored_without_a_gpu(cli):
    res = cli("--dry-run", "direct", "--numa", "--", *TRAIN)
    assert res.returncode == 0 and "--numa ignored: no GPU visible" in res.stderr
    assert "--numa-binding" not in res.stdout
    res = cli("--dry-run", "direct", "--numa", "--", *TRAIN, "global_batch_size=4", CUDA_VISIBLE_DEVICES="0")
    assert "--numa-binding node" in res.stdout


def test_shim_picks_the_repo_venv_and_follows_symlinks(tmp_path):
    import os
    import subprocess

    from tests.launch.clihelp import PRIMUS_CLI, cli_env

    env = cli_env()
    del env["PRIMUS_PYTHON"]
    link = tmp_path / "bin" / "primus-cli"
    link.parent.mkdir()
    link.symlink_to(PRIMUS_CLI)
    res = subprocess.run([str(link), "--dry-run", "direct", "--single", "--", *TRAIN], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    venv_python = REPO / ".venv" / "bin" / "python"
    expected = str(venv_python) if venv_python.exists() else None
    line = next(l for l in res.stdout.splitlines() if l.startswith("  command"))
    if expected:
        assert line.split(":", 1)[1].split()[0] in (expected, os.path.realpath(expected))


def test_launcher_never_imports_torch_or_megatron():
    import subprocess

    code = ("import sys, primus_tui.launch.cli, primus_tui.launch.launcher; "
            "print(sorted(m for m in ('torch', 'megatron', 'textual') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]"


def test_real_data_needs_files_and_a_cached_tokenizer(cli, tmp_path):
    line = _one_line_error(cli("direct", "--single", "--", *TRAIN, "mock_data=false"), 2)
    assert "data_path: no training data" in line
    line = _one_line_error(cli("direct", "--single", "--", *TRAIN, "mock_data=false", f"data_path={tmp_path}/c"), 2)
    assert f"{tmp_path}/c.bin" in line
    (tmp_path / "c.bin").write_bytes(b"")
    (tmp_path / "c.idx").write_bytes(b"")
    line = _one_line_error(cli("direct", "--single", "--", *TRAIN, "mock_data=false", f"data_path={tmp_path}/c",
                               HF_HOME=str(tmp_path / "hf")), 2)
    assert "tokenizer_model: 'primus-tui/tiny-llama-cpu' is not in the HF cache" in line
    assert "huggingface-cli download" in line


def test_debug_is_passed_to_the_ranks(cli):
    res = cli("--debug", "--dry-run", "direct", "--single", "--", *TRAIN)
    assert "    PRIMUS_LOG_LEVEL = DEBUG   (launcher)" in res.stdout.splitlines()


@pytest.mark.parametrize(
    "override, needle",
    [
        ("micro_batch_szie=2", "CLI override 'micro_batch_szie': unknown key, not a Megatron argument, config field "
                               "or Primus key (did you mean 'micro_batch_size'?)"),
        ("--norm_epsilon=1e-6", "CLI override 'norm_epsilon': inert key, only model_type deepseek_v4 reads it"),
        ("rope_scaling_factor=32", "gpt_builder does not pass it; GPTModel uses 8.0"),
    ],
)
def test_override_megatron_will_not_read_is_exit_2(cli, override, needle):
    """A typo in a CLI override would train Megatron's default silently; it is refused instead."""
    assert needle in _one_line_error(cli("--dry-run", "direct", "--", *TRAIN, override), 2)


def test_primus_only_override_passes_when_named_and_dead_keys_are_listed(cli):
    res = cli("--dry-run", "direct", "--", *TRAIN, "my_patch_knob=3",
              PRIMUS_TUI_PRIMUS_ONLY_KEYS="other,my_patch_knob")
    assert res.returncode == 0, res.stderr
    line = next(x for x in res.stdout.splitlines() if x.startswith("  not read      :"))
    names = line.split(": ", 2)[-1].split(", ")
    assert "my_patch_knob" in names  # named on purpose, still not read by Megatron
    assert "norm_epsilon" in names  # the dead key llama_base.yaml inherits from language_model.yaml
