"""Rendezvous variables, the cheap GPU probe and the port check (no torch anywhere)."""

from __future__ import annotations

import socket
import stat

import pytest

from primus_tui.launch.env import GpuProbe, check_port_free, probe_gpus, resolve_dist_env
from primus_tui.launch.errors import LaunchError


def no_gpu(_env):
    return GpuProbe(0, "no GPU found")


def test_defaults_without_gpu():
    d = resolve_dist_env({}, probe=no_gpu)
    assert d.as_env() == {"NNODES": "1", "NODE_RANK": "0", "GPUS_PER_NODE": "1", "MASTER_ADDR": "localhost",
                          "MASTER_PORT": "1234"}
    assert d.origin["GPUS_PER_NODE"] == "no GPU visible: 1 CPU process"


def test_exported_values_win_and_gpus_default_to_visible():
    d = resolve_dist_env({"NNODES": "2", "NODE_RANK": "1", "MASTER_ADDR": "node0", "MASTER_PORT": "29500"},
                         probe=lambda env: GpuProbe(8, "nvidia-smi -L"))
    assert (d.nnodes, d.node_rank, d.gpus_per_node, d.master_addr, d.master_port) == (2, 1, 8, "node0", 29500)
    assert d.origin["NNODES"] == "environment" and d.origin["GPUS_PER_NODE"] == "visible GPUs: nvidia-smi -L"


def test_slurm_allocation_fills_unset_values():
    env = {"SLURM_JOB_ID": "7", "SLURM_NNODES": "4", "SLURM_NODEID": "3", "GPUS_PER_NODE": "8"}
    d = resolve_dist_env(env, probe=no_gpu)
    assert (d.nnodes, d.node_rank) == (4, 3) and d.origin["NODE_RANK"] == "Slurm allocation"


@pytest.mark.parametrize(
    "env, needle",
    [
        ({"NNODES": "0"}, "NNODES must be an integer >= 1"),
        ({"NNODES": "two"}, "NNODES must be an integer"),
        ({"NODE_RANK": "-1"}, "NODE_RANK must be"),
        ({"NNODES": "2", "NODE_RANK": "2"}, "NODE_RANK (2) must be < NNODES (2)"),
        ({"MASTER_PORT": "70000"}, "MASTER_PORT must be <= 65535"),
        ({"GPUS_PER_NODE": "0"}, "GPUS_PER_NODE must be an integer >= 1"),
    ],
)
def test_invalid_values(env, needle):
    with pytest.raises(LaunchError) as err:
        resolve_dist_env(env, probe=no_gpu)
    assert needle in str(err.value) and err.value.exit_code == 2


def test_probe_visible_devices_variables():
    assert probe_gpus({"CUDA_VISIBLE_DEVICES": "0,1,3"}) == GpuProbe(3, "CUDA_VISIBLE_DEVICES")
    assert probe_gpus({"HIP_VISIBLE_DEVICES": ""}).count == 0
    assert probe_gpus({"CUDA_VISIBLE_DEVICES": "-1"}).count == 0


def _fake_tool(folder, name, output):
    path = folder / name
    lines = " ".join(f"'{line}'" for line in output.splitlines())
    path.write_text(f"#!/bin/sh\nprintf '%s\\n' {lines}\n")  # builtins only: PATH holds just this folder
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_probe_runs_nvidia_smi_then_rocm_smi(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert probe_gpus({}) == GpuProbe(0, "no GPU found")
    _fake_tool(tmp_path, "rocm-smi", "GPU[0]\t\t: Device ID: 0x74a1\nGPU[1]\t\t: Device ID: 0x74a1")
    assert probe_gpus({}) == GpuProbe(2, "rocm-smi --showid")
    _fake_tool(tmp_path, "nvidia-smi", "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1)\nGPU 1: NVIDIA H100 (UUID: GPU-2)")
    assert probe_gpus({}) == GpuProbe(2, "nvidia-smi -L")


def test_port_in_use_is_detected():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(LaunchError) as err:
            check_port_free(port)
    assert f"MASTER_PORT {port} is already in use" in str(err.value) and err.value.exit_code == 2
    check_port_free(port)  # released: free again

