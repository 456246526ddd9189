"""Rendezvous environment for torchrun: NNODES, NODE_RANK, GPUS_PER_NODE, MASTER_ADDR, MASTER_PORT.

Precedence as in Primus's direct launcher: `--env K=V` > exported variables > Slurm allocation
(SLURM_NNODES / SLURM_NODEID / first host of SLURM_NODELIST) > defaults. GPUS_PER_NODE
defaults to the visible GPUs (cheap probe, never imports torch), else 1 (a CPU process).
"""

from __future__ import annotations

import errno
import re
import shutil
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

from primus_tui.launch.errors import LaunchError

DEFAULT_MASTER_PORT = 1234  # Primus's default
VISIBLE_VARS = ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES")


@dataclass(frozen=True)
class GpuProbe:
    count: int
    source: str


def _run_quiet(argv: list[str], timeout: float = 5.0) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def probe_gpus(env: Mapping[str, str]) -> GpuProbe:
    """Visible GPUs: *_VISIBLE_DEVICES, else `nvidia-smi -L`, else `rocm-smi --showid`, else 0."""
    for var in VISIBLE_VARS:
        if var in env:
            ids = [i for i in env[var].split(",") if i.strip() and i.strip() != "-1"]
            return GpuProbe(len(ids), var)
    out = _run_quiet(["nvidia-smi", "-L"])
    if out:
        count = sum(1 for line in out.splitlines() if line.startswith("GPU "))
        if count:
            return GpuProbe(count, "nvidia-smi -L")
    out = _run_quiet(["rocm-smi", "--showid"])
    if out:
        count = len(set(re.findall(r"GPU\[(\d+)\]", out)))
        if count:
            return GpuProbe(count, "rocm-smi --showid")
    return GpuProbe(0, "no GPU found")


def _first_slurm_host(nodelist: str) -> str | None:
    out = _run_quiet(["scontrol", "show", "hostnames", nodelist])
    return out.split()[0] if out and out.split() else None


@dataclass(frozen=True)
class DistEnv:
    nnodes: int
    node_rank: int
    gpus_per_node: int
    master_addr: str
    master_port: int
    origin: dict[str, str]  # variable -> where its value came from (for --dry-run)

    def as_env(self) -> dict[str, str]:
        return {
            "NNODES": str(self.nnodes),
            "NODE_RANK": str(self.node_rank),
            "GPUS_PER_NODE": str(self.gpus_per_node),
            "MASTER_ADDR": self.master_addr,
            "MASTER_PORT": str(self.master_port),
        }


def _positive(name: str, value: str, *, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise LaunchError(f"{name} must be an integer >= {minimum}, got {value!r}") from None
    if number < minimum:
        raise LaunchError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return number


def resolve_dist_env(env: Mapping[str, str], probe=probe_gpus) -> DistEnv:
    """`env` is the launch environment with --env values already applied."""
    origin: dict[str, str] = {}

    def pick(name: str, slurm_value: str | None, default: str) -> str:
        if env.get(name):
            origin[name] = "environment"
            return env[name]
        if slurm_value:
            origin[name] = "Slurm allocation"
            return slurm_value
        origin[name] = "default"
        return default

    in_slurm = bool(env.get("SLURM_JOB_ID"))
    nnodes = pick("NNODES", env.get("SLURM_NNODES") if in_slurm else None, "1")
    node_rank = pick("NODE_RANK", env.get("SLURM_NODEID") if in_slurm else None, "0")
    addr_from_slurm = None
    if in_slurm and not env.get("MASTER_ADDR") and env.get("SLURM_NODELIST"):
        addr_from_slurm = _first_slurm_host(env["SLURM_NODELIST"])
    master_addr = pick("MASTER_ADDR", addr_from_slurm, "localhost")
    master_port = pick("MASTER_PORT", None, str(DEFAULT_MASTER_PORT))
    if env.get("GPUS_PER_NODE"):
        gpus = env["GPUS_PER_NODE"]
        origin["GPUS_PER_NODE"] = "environment"
    else:
        found = probe(env)
        gpus = str(max(1, found.count))
        origin["GPUS_PER_NODE"] = f"visible GPUs: {found.source}" if found.count else "no GPU visible: 1 CPU process"
    dist = DistEnv(
        nnodes=_positive("NNODES", nnodes, minimum=1),
        node_rank=_positive("NODE_RANK", node_rank, minimum=0),
        gpus_per_node=_positive("GPUS_PER_NODE", gpus, minimum=1),
        master_addr=master_addr,
        master_port=_positive("MASTER_PORT", master_port, minimum=1),
        origin=origin,
    )
    if dist.master_port > 65535:
        raise LaunchError(f"MASTER_PORT must be <= 65535, got {dist.master_port}")
    if dist.node_rank >= dist.nnodes:
        raise LaunchError(f"NODE_RANK ({dist.node_rank}) must be < NNODES ({dist.nnodes})")
    if not dist.master_addr.strip():
        raise LaunchError("MASTER_ADDR is empty")
    return dist


def check_port_free(port: int) -> None:
    """The rendezvous store binds MASTER_PORT on the master node: fail early with a clear message."""
    for family, host in ((socket.AF_INET6, "::"), (socket.AF_INET, "")):
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue
        with sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
                return
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise LaunchError(
                        f"MASTER_PORT {port} is already in use on this host (another job or a stale run?); "
                        f"pick a free port: --env MASTER_PORT=<port> or export MASTER_PORT"
                    ) from None
                if exc.errno in (errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL):
                    continue
                raise LaunchError(f"cannot bind MASTER_PORT {port}: {exc.strerror}") from None
