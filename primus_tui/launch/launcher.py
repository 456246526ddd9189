"""What `primus-cli` does: parse, preflight, plan (torchrun / python / srun / sbatch), dry-run or run."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from primus_tui.launch.args import LaunchRequest, parse_launch_args
from primus_tui.launch.command import trainer_argv
from primus_tui.launch.env import DistEnv, check_port_free, probe_gpus, resolve_dist_env
from primus_tui.launch.envfile import load_env_file
from primus_tui.launch.errors import LaunchError
from primus_tui.launch.memcheck import allowed, check_values, refuse_line
from primus_tui.launch.outcome import decide
from primus_tui.launch.preflight import Resolved, check_batch, check_dependencies, resolve
from primus_tui.launch.process import ProcessTree
from primus_tui.launch.slurm import slurm_argv
from primus_tui.plan.guard import ALLOW_ENV, Verdict

ROOT_ENV = "PRIMUS_CLI_ROOT"  # set by the primus-cli shim: the folder holding primus-cli and primus/configs
STATUS_DIR_ENV = "PRIMUS_TUI_STATUS_DIR"
GRACE_ENV = "PRIMUS_CLI_KILL_GRACE"


def _root() -> Path:
    if os.environ.get(ROOT_ENV):
        return Path(os.environ[ROOT_ENV]).resolve()
    return Path(__file__).resolve().parents[2]


@dataclass
class Plan:
    """Everything decided before running: printed by --dry-run, executed otherwise."""

    argv: list[str]
    env: dict[str, str]  # full child environment
    shown_env: dict[str, str]  # the variables the launcher set or the user passed
    origins: dict[str, str]
    log_file: Path | None
    run_mode: str  # torchrun | single | srun | sbatch
    world_size: int


def _default_log_file() -> Path:
    return Path("logs") / f"log_{time.strftime('%Y%m%d_%H%M%S')}.txt"


def _apply_user_env(request: LaunchRequest) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(child env, variables the user set, where each came from). As in Primus, `--env KEY=VALUE`
    is exported first (env files can use it), files are sourced in order, and the KEY=VALUE pairs
    are re-applied last so they win over any file."""
    env = dict(os.environ) | dict(request.direct.env)
    shown: dict[str, str] = {}
    origins: dict[str, str] = {}
    for path in request.direct.env_files:
        loaded = load_env_file(path, env)
        env.update(loaded)
        shown.update(loaded)
        origins.update({k: f"--env {path}" for k in loaded})
    for key, value in request.direct.env:
        env[key] = shown[key] = value
        origins[key] = "--env"
    return env, shown, origins


def plan_direct(request: LaunchRequest, root: Path) -> Plan:
    env, shown, origins = _apply_user_env(request)
    python = sys.executable
    primus_argv = request.command.argv()
    if request.direct.single:
        argv = trainer_argv(python, primus_argv, single=True)
        world_size, mode = 1, "single"
    else:
        dist: DistEnv = resolve_dist_env(env)
        numa = bool(request.direct.numa)
        if numa and probe_gpus(env).count == 0:  # torchrun's NUMA binding follows GPUs; none here
            print("primus-cli: warning: --numa ignored: no GPU visible", file=sys.stderr)
            numa = False
        argv = trainer_argv(python, primus_argv, single=False, nproc_per_node=dist.gpus_per_node,
                            nnodes=dist.nnodes, node_rank=dist.node_rank, master_addr=dist.master_addr,
                            master_port=dist.master_port, numa=numa)
        env.update(dist.as_env())
        shown.update(dist.as_env())
        for key, where in dist.origin.items():
            origins.setdefault(key, where)
        world_size, mode = dist.gpus_per_node * dist.nnodes, "torchrun"
    launcher_env = {ROOT_ENV: str(root), "PYTHONUNBUFFERED": "1"}
    if request.debug:
        launcher_env["PRIMUS_LOG_LEVEL"] = "DEBUG"
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(root)]
    launcher_env["PYTHONPATH"] = os.pathsep.join([str(root), *paths])
    env.update(launcher_env)
    shown.update(launcher_env)
    origins.update({k: "launcher" for k in launcher_env})
    log_file = Path(request.direct.log_file) if request.direct.log_file else _default_log_file()
    return Plan(argv=argv, env=env, shown_env=shown, origins=origins, log_file=log_file, run_mode=mode,
                world_size=world_size)


def plan_slurm(request: LaunchRequest, root: Path) -> Plan:
    assert request.slurm is not None
    env, shown, origins = _apply_user_env(request)
    port = int(env.get("MASTER_PORT") or 1234)
    argv = slurm_argv(request.slurm.launcher, request.slurm.flags, root, request.direct,
                      request.command.argv(), master_port=port, debug=request.debug)
    return Plan(argv=argv, env=env, shown_env=shown, origins=origins, log_file=None,
                run_mode=request.slurm.launcher, world_size=0)


def _summary(request: LaunchRequest, plan: Plan, resolved: Resolved, memory: Verdict | None = None) -> list[str]:
    v = resolved.values
    title = "[DRY RUN] " if request.dry_run else ""
    lines = [f"---------------- {title}primus-cli {request.mode} ----------------",
             f"  run mode      : {plan.run_mode}",
             f"  config file   : {request.command.config}",
             f"  framework     : {resolved.framework}",
             f"  model file    : {resolved.model_file or '<none>'}",
             f"  tokenizer     : {v.get('tokenizer_type')} {v.get('tokenizer_model')}",
             f"  overrides     : {' '.join(request.command.overrides) or '<none>'}"]
    if resolved.dead_keys:
        names = ", ".join(v.key for v in resolved.dead_keys)
        lines.append(f"  not read      : {len(resolved.dead_keys)} keys Megatron ignores for this model: {names}")
    if memory is not None:
        lines.append(f"  memory        : {memory.message}")
    if plan.log_file is not None:
        lines.append(f"  log file      : {plan.log_file}")
    for path in request.direct.env_files:  # said outright: the dry run did run these
        lines.append(f"  env file      : {path} was sourced (bash) to show its variables; it ran, even in a dry run")
    if plan.shown_env:
        lines.append("  environment   :")
        width = max(len(k) for k in plan.shown_env)
        for key, value in plan.shown_env.items():
            lines.append(f"    {key.ljust(width)} = {value}   ({plan.origins.get(key, 'environment')})")
    lines.append(f"  command       : {shlex.join(plan.argv)}")
    return lines


def _dry_run(request: LaunchRequest, plan: Plan, resolved: Resolved, memory: Verdict | None = None) -> int:
    from primus_tui.config.render import render_yaml

    print("\n".join(_summary(request, plan, resolved, memory)))
    print("  resolved config (modules.pre_trainer):")
    for line in render_yaml(resolved.values).splitlines():
        print(f"    {line}")
    ran = " except the env files above" if request.direct.env_files else ""
    print(f"---------------- end of dry run: nothing was launched{ran} ----------------")
    return 0


def _execute(request: LaunchRequest, plan: Plan, resolved: Resolved, memory: Verdict | None = None) -> int:
    grace = float(os.environ.get(GRACE_ENV, "10"))
    header = "\n".join(_summary(request, plan, resolved, memory)) + "\n"
    silent = request.direct.silent
    if not silent:
        sys.stdout.write(header)
        sys.stdout.flush()
    status_dir = Path(tempfile.mkdtemp(prefix="primus-cli-status-"))
    plan.env[STATUS_DIR_ENV] = str(status_dir)
    log = None
    try:
        if plan.log_file is not None:
            plan.log_file.parent.mkdir(parents=True, exist_ok=True)
            log = open(plan.log_file, "ab")  # noqa: SIM115
            log.write(header.encode())
        with open(os.devnull, "wb") if silent else contextlib.nullcontext(sys.stdout.buffer) as out:
            result = ProcessTree(plan.argv, plan.env, grace=grace, log=log, out=out).run()
        outcome = decide(result, world_size=plan.world_size, status_dir=status_dir)
    finally:
        if log is not None:
            log.close()
        shutil.rmtree(status_dir, ignore_errors=True)
    if outcome.exit_code:
        where = f" (log: {plan.log_file})" if plan.log_file is not None else ""
        print(f"primus-cli: error: {outcome.message}{where}", file=sys.stderr, flush=True)
    return outcome.exit_code


def run(argv: Sequence[str]) -> int:
    request = parse_launch_args(list(argv))
    root = _root()
    resolved = resolve(request.command.config, request.command.overrides, root)
    if request.mode == "slurm":
        plan = plan_slurm(request, root)
        if request.dry_run:
            return _dry_run(request, plan, resolved)
        if shutil.which(plan.argv[0]) is None:
            raise LaunchError(f"{plan.argv[0]} not found: run `primus-cli slurm` on a Slurm login node", exit_code=1)
        return _execute(request, plan, resolved)
    plan = plan_direct(request, root)
    check_batch(resolved, plan.world_size, request.command.config)
    # Before anything starts: will it fit this machine's memory? (PRIMUS_CLI_ALLOW_OVER_MEMORY=1 skips the refusal)
    memory = check_values(resolved.values, env=plan.env, single=request.direct.single)
    if request.dry_run:
        return _dry_run(request, plan, resolved, memory)
    check_dependencies(sys.executable)
    if memory.blocks:
        if not allowed(plan.env):
            raise LaunchError(refuse_line(memory), exit_code=2)
        print(f"primus-cli: warning: {memory.message}; launching anyway ({ALLOW_ENV}=1)", file=sys.stderr, flush=True)
    if plan.run_mode == "torchrun" and int(plan.env["NODE_RANK"]) == 0:
        check_port_free(int(plan.env["MASTER_PORT"]))
    return _execute(request, plan, resolved, memory)
