"""primus-cli argument grammar (Primus's runner/primus-cli, -direct.sh, -slurm.sh)."""

from __future__ import annotations

from pathlib import Path

import pytest

from primus_tui.launch.args import HelpRequested, parse_launch_args, parse_primus_args
from primus_tui.launch.errors import LaunchError

TRAIN = ["train", "pretrain", "--config", "exp.yaml"]


def test_direct_with_every_option():
    req = parse_launch_args(["--debug", "--dry-run", "direct", "--env", "A=1", "--env=B=x=y", "--single",
                             "--log_file", "out.log", "--numa", "--", *TRAIN, "train_iters=5", "--lr", "0.1"])
    assert (req.mode, req.debug, req.dry_run) == ("direct", True, True)
    assert req.direct.env == [("A", "1"), ("B", "x=y")]
    assert req.direct.single and req.direct.numa and req.direct.log_file == "out.log"
    assert req.command.config == Path("exp.yaml")
    assert req.command.overrides == ["train_iters=5", "--lr", "0.1"]
    assert req.command.argv() == [*TRAIN, "train_iters=5", "--lr", "0.1"]


def test_primus_args_config_anywhere():
    cmd = parse_primus_args(["train", "pretrain", "lr=1", "--config=e.yaml", "--seed", "3"])
    assert cmd.config == Path("e.yaml") and cmd.overrides == ["lr=1", "--seed", "3"]


def test_slurm_forms():
    req = parse_launch_args(["slurm", "sbatch", "-N", "2", "-p", "gpu", "--", *TRAIN])
    assert req.slurm.launcher == "sbatch" and req.slurm.flags == ["-N", "2", "-p", "gpu"]
    req = parse_launch_args(["slurm", "-N", "4", "--", "direct", "--env", "X=1", "--", *TRAIN])
    assert req.slurm.launcher == "srun" and req.slurm.flags == ["-N", "4"] and req.direct.env == [("X", "1")]


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["bogus", "--", *TRAIN], "unknown mode or option 'bogus'"),
        (["--frobnicate", "direct", "--", *TRAIN], "unknown mode or option '--frobnicate'"),
        (["container", "--", *TRAIN], "not supported"),
        (["direct", "--bogus", "--", *TRAIN], "unknown direct option '--bogus'"),
        (["direct", *TRAIN], "unknown direct option 'train'"),
        (["direct", "--single"], "missing '--'"),
        (["direct", "--env", "=1", "--", *TRAIN], "--env: invalid variable name ''"),
        (["direct", "--env", "1A=1", "--", *TRAIN], "--env: invalid variable name '1A'"),
        (["direct", "--env="], "--env expects KEY=VALUE or an env file path"),
        (["direct", "--log_file"], "--log_file requires a value"),
        (["direct", "--"], "missing primus command"),
        (["direct", "--", "benchmark", "gemm"], "unsupported primus command"),
        (["direct", "--", "train", "pretrain"], "missing --config"),
        (["direct", "--", "train", "pretrain", "--config"], "--config requires"),
        (["--debug"], "missing mode"),
        (["slurm", "-N", "2"], "missing '--'"),
    ],
)
def test_bad_arguments_are_usage_errors(argv, needle):
    with pytest.raises(LaunchError) as err:
        parse_launch_args(argv)
    assert needle in str(err.value)
    assert err.value.exit_code == 2 and err.value.show_usage


@pytest.mark.parametrize("argv", [[], ["-h"], ["--help"], ["direct", "--help"], ["slurm", "--help"], ["--version"]])
def test_help_and_version(argv):
    with pytest.raises(HelpRequested):
        parse_launch_args(argv)
