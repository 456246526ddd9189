"""launch/runner.GroupRun: the one runner headless and the TUI use."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from primus_tui.launch.runner import GroupRun, RunResult, run_foreground

# A parent that starts a grandchild in a session of its own (as torchrun does with its workers),
# prints both pids, then waits; on SIGTERM it prints a traceback-like line and exits 143.
TREE = r"""
import signal, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
def term(*_):
    print("Traceback (most recent call last): SignalException", flush=True)
    sys.exit(143)
signal.signal(signal.SIGTERM, term)
print(f"pids {child.pid}", flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _gone(pid: int, timeout: float = 10) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_cancel_stops_the_tree_and_keeps_what_it_provokes_out_of_the_lines(tmp_path: Path) -> None:
    got: list[str] = []
    run = GroupRun([sys.executable, "-c", TREE], log_path=tmp_path / "run.log", on_lines=got.extend, grace=2)
    thread = threading.Thread(target=run.run)
    thread.start()
    for _ in range(200):
        if got:
            break
        time.sleep(0.02)
    grandchild = int(got[0].split()[1])
    run.cancel()
    thread.join(15)
    assert not thread.is_alive() and _gone(grandchild), "the grandchild in its own session survived"
    assert got == [f"pids {grandchild}"]  # the traceback the SIGTERM provoked is not delivered ...
    assert "SignalException" in (tmp_path / "run.log").read_text()  # ... but is in the log file


def test_result_summary_is_one_line() -> None:
    assert RunResult(143, cancelled=True).summary == "cancelled, exit 143"
    assert RunResult(-15, cancelled=True).summary == "cancelled, exit 143"
    assert RunResult(0).summary == "finished, exit 0"
    assert RunResult(3).summary == "failed, exit 3"
    assert RunResult(None, error="cannot start x: No such file").summary.startswith("did not start: ")


def test_sigterm_to_the_foreground_runner_cancels_the_group(tmp_path: Path) -> None:
    """Headless: a SIGTERM (or SIGHUP, Ctrl-C) to primus-tui stops primus-cli's whole group."""
    got: list[str] = []
    run = GroupRun([sys.executable, "-c", TREE], on_lines=got.extend, grace=2)
    killer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM))
    killer.start()
    before = signal.getsignal(signal.SIGTERM)
    result = run_foreground(run)
    killer.join()
    assert signal.getsignal(signal.SIGTERM) is before  # handlers given back
    assert result.cancelled and result.signal == signal.SIGTERM and result.summary == "cancelled, exit 143"
    assert _gone(int(got[0].split()[1]))


def test_headless_process_terminated_prints_one_line(tmp_path: Path) -> None:
    """`primus-tui --answers` under SIGTERM: one `cancelled, exit 143` line, exit 143, no traceback."""
    script = tmp_path / "fake-cli"
    script.write_text(f"#!{sys.executable}\n{TREE}")
    script.chmod(0o755)
    code = (f"import sys; from primus_tui.wizard.headless import _launch; from pathlib import Path\n"
            f"r = _launch([{str(script)!r}], Path({str(tmp_path)!r}), sys.stdout, {{}})\n"
            f"print('primus-tui:', r.summary, file=sys.stderr); sys.exit(r.exit_code)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    os.kill(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 143 and err == "primus-tui: cancelled, exit 143\n", err
    assert "Traceback" not in out
    assert _gone(int(first.split()[1]))
