"""The argv primus-cli builds: the public build_command, torchrun / python, srun / sbatch."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from primus_tui.launch import build_command
from primus_tui.launch.args import DirectOptions
from primus_tui.launch.command import trainer_argv
from primus_tui.launch.slurm import node_script, slurm_argv

ROOT = Path("/opt/primus")
PRIMUS = ["train", "pretrain", "--config", "e.yaml", "train_iters=5"]


def test_build_command_direct():
    argv = build_command(ROOT, Path("exp.yaml"), env={"NCCL_DEBUG": "INFO"}, log_file="run.log",
                         overrides=["train_iters=5"], single=True, dry_run=True)
    assert argv == ["/opt/primus/primus-cli", "--dry-run", "direct", "--single", "--env", "NCCL_DEBUG=INFO",
                    "--log_file", "run.log", "--", "train", "pretrain", "--config", "exp.yaml", "train_iters=5"]
    assert build_command(ROOT, Path("e.yaml")) == ["/opt/primus/primus-cli", "direct", "--", "train", "pretrain",
                                                   "--config", "e.yaml"]
    with pytest.raises(ValueError):
        build_command(ROOT, Path("e.yaml"), mode="container")


def test_build_command_round_trips_through_the_parser():
    from primus_tui.launch.args import parse_launch_args

    argv = build_command(ROOT, Path("exp.yaml"), env={"A": "1"}, overrides=["lr=0.1"], single=True)
    req = parse_launch_args(argv[1:])
    assert req.direct.single and req.direct.env == [("A", "1")] and req.command.overrides == ["lr=0.1"]


def test_trainer_argv_torchrun_and_single():
    assert trainer_argv("/py", PRIMUS, single=True) == ["/py", "-m", "primus_tui.trainer", *PRIMUS]
    argv = trainer_argv("/py", PRIMUS, single=False, nproc_per_node=8, nnodes=2, node_rank=1,
                        master_addr="h0", master_port=29500)
    assert argv == ["/py", "-m", "torch.distributed.run", "--nproc_per_node", "8", "--nnodes", "2",
                    "--node_rank", "1", "--master_addr", "h0", "--master_port", "29500",
                    "-m", "primus_tui.trainer", *PRIMUS]
    assert "--numa-binding" in trainer_argv("/py", PRIMUS, single=False, numa=True)


def test_srun_line_runs_direct_once_per_node_with_slurm_rendezvous():
    direct = DirectOptions(env=[("NCCL_DEBUG", "INFO")])
    argv = slurm_argv("srun", ["-N", "4", "-p", "gpu"], ROOT, direct, PRIMUS, master_port=29500)
    assert argv[:6] == ["srun", "-N", "4", "-p", "gpu", "--ntasks-per-node=1"]
    assert argv[6:8] == ["bash", "-c"]
    script = argv[8]
    assert 'NNODES="${SLURM_NNODES:-${SLURM_JOB_NUM_NODES:-1}}"' in script
    assert 'NODE_RANK="${SLURM_NODEID:-${SLURM_PROCID:-0}}"' in script
    assert 'scontrol show hostnames "$SLURM_NODELIST" | head -n1' in script
    assert 'MASTER_PORT="${MASTER_PORT:-29500}"' in script
    assert script.endswith("exec /opt/primus/primus-cli direct --env NCCL_DEBUG=INFO -- train pretrain "
                           "--config e.yaml train_iters=5")


def test_sbatch_wraps_the_srun_step_and_respects_user_task_flags():
    argv = slurm_argv("sbatch", ["-N", "2", "--ntasks-per-node=1"], ROOT, DirectOptions(), PRIMUS, master_port=1234)
    assert argv[:4] == ["sbatch", "-N", "2", "--ntasks-per-node=1"]
    assert argv[4] == "--wrap" and len(argv) == 6
    step = shlex.split(argv[5])
    assert step[:3] == ["srun", "bash", "-c"]  # the user's task flag is not repeated
    assert step[3] == node_script(ROOT, DirectOptions(), PRIMUS, master_port=1234)
