"""Process-tree teardown: Ctrl-C / SIGTERM / a dead parent leave no process behind (checked in /proc)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
DRIVER = """
import sys
from primus_tui.launch.process import ProcessTree
log = open(sys.argv[1], "ab")
result = ProcessTree([sys.executable, sys.argv[2], sys.argv[3], sys.argv[4]], {"PATH": "/usr/bin:/bin"},
                     grace=float(sys.argv[5]), log=log).run()
print("RESULT", result.returncode, result.signal, flush=True)
sys.exit(130 if result.signal == 2 else 143 if result.signal == 15 else 0)
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(predicate, timeout: float = 30.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def start(tmp_path: Path, mode: str, grace: float = 2.0):
    pidfile, log = tmp_path / "pids", tmp_path / "job.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(log), str(HERE / "fake_torchrun.py"), str(pidfile), mode,
                             str(grace)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert wait_for(lambda: pidfile.exists() and len(pidfile.read_text().split()) == 3)
    assert wait_for(lambda: log.exists() and log.read_text().count("worker ready") == 2)
    return proc, [int(p) for p in pidfile.read_text().split()], log


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_stops_every_process(tmp_path, sig, code):
    proc, pids, log = start(tmp_path, "wait")
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == code, out
    assert not [p for p in pids if alive(p)]
    assert "worker ready" in out and log.read_text().count("worker ready") == 2  # tee: terminal and log


def test_stubborn_workers_are_killed_after_the_grace(tmp_path):
    proc, pids, _ = start(tmp_path, "stubborn", grace=1.0)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert not [p for p in pids if alive(p)]
    assert time.monotonic() - started < 15


def test_workers_orphaned_by_a_dead_parent_are_stopped(tmp_path):
    proc, pids, _ = start(tmp_path, "orphan", grace=1.0)
    out, _ = proc.communicate(timeout=30)
    assert "RESULT 1 None" in out
    assert not [p for p in pids if alive(p)]


def test_the_hosts_own_children_are_not_part_of_the_job(tmp_path):
    """A host process (a test runner, the TUI, a library's helper server such as megatron-core's
    checkpoint-writer Manager) already has children: stopping the job must leave them alone, while
    the job's orphans are still stopped."""
    from primus_tui.launch.process import ProcessTree

    helper = subprocess.Popen(["sleep", "60"])
    try:
        pidfile = tmp_path / "pids"
        result = ProcessTree([sys.executable, str(HERE / "fake_torchrun.py"), str(pidfile), "orphan"],
                             {"PATH": "/usr/bin:/bin"}, grace=1.0, out=open(os.devnull, "wb")).run()
        assert result.returncode == 1
        assert not [p for p in map(int, pidfile.read_text().split()) if alive(p)]
        assert helper.poll() is None, "the host's own child was stopped with the job"
    finally:
        helper.kill()
        helper.wait()
