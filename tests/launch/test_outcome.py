"""Exit codes from what the job left behind (torchrun turns every worker failure into 1)."""

from __future__ import annotations

import json
import signal

from primus_tui.launch.outcome import decide
from primus_tui.launch.result import RunResult


def _status(folder, rank, code, message="m"):
    (folder / f"rank{rank}.json").write_text(json.dumps({"rank": rank, "exit_code": code, "message": message}))


def test_success_and_signals(tmp_path):
    assert decide(RunResult(0), world_size=2, status_dir=tmp_path).exit_code == 0
    assert decide(RunResult(1, cancelled=True, signal=signal.SIGINT), world_size=2, status_dir=tmp_path).exit_code == 130
    assert decide(RunResult(1, cancelled=True, signal=signal.SIGTERM), world_size=2, status_dir=tmp_path).exit_code == 143


def test_rank_status_codes_win_over_torchrun_exit_1(tmp_path):
    _status(tmp_path, 0, 2, "tensor_model_parallel_size: 2 is not supported")
    _status(tmp_path, 1, 2, "tensor_model_parallel_size: 2 is not supported")
    out = decide(RunResult(1), world_size=2, status_dir=tmp_path)
    assert out.exit_code == 2 and "tensor_model_parallel_size" in out.message


def test_missing_dependency_is_1(tmp_path):
    _status(tmp_path, 0, 1, "megatron-core is not importable")
    assert decide(RunResult(1), world_size=1, status_dir=tmp_path).exit_code == 1


def test_silent_rank_is_the_root_cause(tmp_path):
    _status(tmp_path, 0, 3, "RuntimeError: Connection reset by peer")
    out = decide(RunResult(1), world_size=2, status_dir=tmp_path)
    assert out.exit_code == 3 and out.message.startswith("rank 1 died without reporting")


def test_runtime_failure_message(tmp_path):
    for rank in (0, 1):
        _status(tmp_path, rank, 3, "NaN loss at iteration 3")
    out = decide(RunResult(1), world_size=2, status_dir=tmp_path)
    assert (out.exit_code, out.message) == (3, "NaN loss at iteration 3")
    assert decide(RunResult(-9), world_size=1, status_dir=None).exit_code == 3
