"""The `primus-cli` argv other packages (wizard, TUI) run to launch an experiment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

MODES = ("direct", "slurm")


def build_command(
    primus_root: Path,
    exp_path: Path,
    *,
    mode: str = "direct",
    dry_run: bool = False,
    single: bool = False,
    env: Mapping[str, str] | None = None,
    log_file: str | Path | None = None,
    overrides: Sequence[str] | None = None,
) -> list[str]:
    """argv of `<root>/primus-cli [--dry-run] <mode> [mode options] -- train pretrain --config EXP [overrides]`.

    `overrides` are Primus CLI overrides (`key=value` or `--key value` tokens), passed verbatim.
    `single` and `env`/`log_file` are `direct` options; for `slurm` they are forwarded to the
    `direct` launcher that runs on every node.
    """
    if mode not in MODES:
        raise ValueError(f"unknown primus-cli mode {mode!r} (expected one of {', '.join(MODES)})")
    argv = [str(Path(primus_root) / "primus-cli")]
    if dry_run:
        argv.append("--dry-run")
    argv.append(mode)
    if single:
        argv.append("--single")
    for key, value in (env or {}).items():
        argv += ["--env", f"{key}={value}"]
    if log_file is not None:
        argv += ["--log_file", str(log_file)]
    argv += ["--", "train", "pretrain", "--config", str(exp_path)]
    argv += list(overrides or [])
    return argv


TRAINER_MODULE = "primus_tui.trainer"


def trainer_argv(python: str, primus_argv: Sequence[str], *, single: bool, nproc_per_node: int = 1,
                 nnodes: int = 1, node_rank: int = 0, master_addr: str = "localhost", master_port: int = 1234,
                 numa: bool = False) -> list[str]:
    """What `direct` executes: torchrun (as `python -m torch.distributed.run`, the same interpreter)
    over `python -m primus_tui.trainer`, or that module alone with --single."""
    target = ["-m", TRAINER_MODULE, *primus_argv]
    if single:
        return [python, *target]
    argv = [
        python, "-m", "torch.distributed.run",
        "--nproc_per_node", str(nproc_per_node),
        "--nnodes", str(nnodes),
        "--node_rank", str(node_rank),
        "--master_addr", master_addr,
        "--master_port", str(master_port),
    ]
    if numa:
        argv += ["--numa-binding", "node"]
    return argv + target


def display_argv(argv: Sequence[str], root: Path | str) -> list[str]:
    """`./primus-cli` and root-relative paths, as the guide writes the command (run from ROOT)."""
    prefix = f"{root}/"
    return ["./" + a[len(prefix):] if i == 0 and a.startswith(prefix) else a.removeprefix(prefix)
            for i, a in enumerate(argv)]


def command_text(argv: Sequence[str], root: Path | str) -> str:
    """The exact command, runnable from any folder: `cd ROOT && ./primus-cli ...`."""
    import shlex

    return f"cd {shlex.quote(str(root))} && {shlex.join(display_argv(argv, root))}"
