"""The srun / sbatch line that runs `primus-cli direct` once per node of a Slurm allocation.

Each node derives the rendezvous from Slurm at run time (NNODES=$SLURM_NNODES,
NODE_RANK=$SLURM_NODEID, MASTER_ADDR = first host of $SLURM_NODELIST), then `direct` starts
torchrun with GPUS_PER_NODE ranks, exactly as Primus's primus-cli-slurm-entry.sh does.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from primus_tui.launch.args import DirectOptions

NODE_ENV = (
    'export NNODES="${SLURM_NNODES:-${SLURM_JOB_NUM_NODES:-1}}" '
    'NODE_RANK="${SLURM_NODEID:-${SLURM_PROCID:-0}}" '
    'MASTER_ADDR="${MASTER_ADDR:-$(scontrol show hostnames "$SLURM_NODELIST" | head -n1)}" '
    'MASTER_PORT="${MASTER_PORT:-%d}"'
)
_TASK_FLAGS = ("-n", "--ntasks", "--ntasks-per-node")


def direct_argv(root: Path, direct: DirectOptions, primus_argv: Sequence[str], *, debug: bool = False) -> list[str]:
    argv = [str(root / "primus-cli")]
    if debug:
        argv.append("--debug")
    argv.append("direct")
    if direct.single:
        argv.append("--single")
    for path in direct.env_files:  # absolute: every node reads it from the shared file system
        argv += ["--env", str(Path(path).resolve())]
    for key, value in direct.env:
        argv += ["--env", f"{key}={value}"]
    if direct.log_file:
        argv += ["--log_file", direct.log_file]
    if direct.numa is True:
        argv.append("--numa")
    if direct.silent:
        argv.append("--silent")
    return argv + ["--", *primus_argv]


def node_script(root: Path, direct: DirectOptions, primus_argv: Sequence[str], *, master_port: int,
                debug: bool = False) -> str:
    """The shell command each node runs (variables expand on the node, not here)."""
    return f"{NODE_ENV % master_port}; exec {shlex.join(direct_argv(root, direct, primus_argv, debug=debug))}"


def slurm_argv(launcher: str, flags: Sequence[str], root: Path, direct: DirectOptions,
               primus_argv: Sequence[str], *, master_port: int, debug: bool = False) -> list[str]:
    flags = list(flags)
    per_node = [] if any(f.split("=", 1)[0] in _TASK_FLAGS for f in flags) else ["--ntasks-per-node=1"]
    script = node_script(root, direct, primus_argv, master_port=master_port, debug=debug)
    step = ["srun", *per_node, "bash", "-c", script]
    if launcher == "sbatch":
        return ["sbatch", *flags, *per_node, "--wrap", shlex.join(step)]
    return ["srun", *flags, *per_node, "bash", "-c", script]
