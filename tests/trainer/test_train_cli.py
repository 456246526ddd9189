"""Real CPU training through ./primus-cli: one process, two torchrun ranks, and every failure path.

Each run trains the tiny llama-style model (examples/megatron/configs/CPU/tiny_llama-pretrain.yaml)
on megatron-core's mock data; logs are read back with primus_tui.launch.logparse.
Fault injection: PRIMUS_TUI_FAULT (see primus_tui/trainer/faults.py).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from primus_tui.launch.logparse import parse_log
from tests.launch.clihelp import PRIMUS_CLI, TRAIN, cli_env, processes_with_mark, run_cli

pytestmark = pytest.mark.slow
pytest.importorskip("torch")
pytest.importorskip("megatron.core")


def train(tmp: Path, *args: str, single: bool = True, overrides: tuple[str, ...] = (), **env: str):
    log = tmp / "train.log"
    mode = ["--single"] if single else []
    res = run_cli("direct", *mode, "--log_file", str(log), "--", *TRAIN, *overrides, cwd=tmp, **env)
    res.log = log.read_text() if log.exists() else ""  # type: ignore[attr-defined]
    res.steps = parse_log(res.log)  # type: ignore[attr-defined]
    return res


def assert_nothing_left(res) -> None:
    deadline = time.monotonic() + 10
    while processes_with_mark(res.mark) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with_mark(res.mark) == []


def one_error_line(res) -> str:
    lines = [line for line in res.stderr.splitlines() if line.startswith("primus-cli: error:")]
    assert len(lines) == 1, res.stderr
    return lines[0]


@pytest.fixture(scope="module")
def single_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("single")
    res = train(tmp, overrides=(f"save={tmp / 'ckpt'}", "save_interval=5", "disable_last_saving=false"))
    res.tmp = tmp  # type: ignore[attr-defined]
    return res


@pytest.fixture(scope="module")
def torchrun_run(tmp_path_factory):
    return train(tmp_path_factory.mktemp("torchrun"), single=False, GPUS_PER_NODE="2", MASTER_PORT="29531")


def test_single_process_training_loss_goes_down(single_run):
    assert single_run.returncode == 0, single_run.stdout[-3000:] + single_run.stderr
    steps = single_run.steps
    assert [s.iteration for s in steps] == list(range(1, 13)) and steps[-1].train_iters == 12
    assert all(s.global_batch_size == 8 and s.consumed_samples == 8 * s.iteration for s in steps)
    assert steps[-1].lm_loss < steps[0].lm_loss - 0.8, [s.lm_loss for s in steps]
    assert steps[0].elapsed_ms > 0 and steps[0].tokens_per_sec > 0 and steps[0].grad_norm > 0
    assert parse_log(single_run.stdout) == steps  # the terminal saw the same lines as the log


def test_banner_has_the_seed_verification_points(single_run):
    from primus_tui.hf import param_count_from_fields

    out = single_run.stdout
    assert "  framework    : megatron" in out
    assert "primus/configs/models/megatron/tiny_llama_cpu.yaml" in out
    assert "  tokenizer    : HuggingFaceTokenizer primus-tui/tiny-llama-cpu -> vocab 512" in out
    assert "2 layers, hidden 64, ffn 176, 4 heads, 2 query groups" in out
    assert "micro 4 x data-parallel 1 x accumulation 2 = global 8" in out
    # the printed parameter count is the analytic (HF-side) count of the same Megatron fields
    fields = {"num_layers": 2, "hidden_size": 64, "ffn_hidden_size": 176, "num_attention_heads": 4,
              "group_query_attention": True, "num_query_groups": 2, "swiglu": True, "normalization": "RMSNorm",
              "untie_embeddings_and_output_weights": True, "add_bias_linear": False, "vocab_size": 512,
              "position_embedding_type": "rope", "max_position_embeddings": 64}
    expected = param_count_from_fields(fields)
    assert f"  parameters   : {expected.total + expected.vocab_padding:,} total" in out
    # no tokenizer in the HF cache: mock data falls back to vocab_size, saying so
    # (the ranks' stderr is merged into the launcher's stdout and the log, as Primus's `2>&1 | tee`)
    assert "WARNING: tokenizer 'primus-tui/tiny-llama-cpu' is not in the HF cache" in out
    assert "using vocab_size 512 from the config" in single_run.log


def test_checkpoints_follow_save_interval_and_last_saving(single_run):
    import torch

    ckpt = single_run.tmp / "ckpt"
    assert sorted(p.name for p in ckpt.glob("iter_*")) == ["iter_0000005", "iter_0000010", "iter_0000012"]
    assert (ckpt / "latest_checkpointed_iteration.txt").read_text().strip() == "12"
    state = torch.load(ckpt / "iter_0000012/mp_rank_00/model_optim_rng.pt", weights_only=False)
    assert state["iteration"] == 12 and state["consumed_samples"] == 96
    assert state["opt_param_scheduler"]["num_steps"] == 96  # Megatron counts the schedule in samples
    assert "embedding.word_embeddings.weight" in state["model"]


def test_two_ranks_under_torchrun_match_one_process(torchrun_run, single_run):
    assert torchrun_run.returncode == 0, torchrun_run.stdout[-3000:] + torchrun_run.stderr
    assert "micro 4 x data-parallel 2 x accumulation 1 = global 8" in torchrun_run.stdout
    assert "torch.distributed.run --nproc_per_node 2" in torchrun_run.stdout
    ours = [s.lm_loss for s in torchrun_run.steps]
    ref = [s.lm_loss for s in single_run.steps]
    # same global batches: gradient accumulation over 2 micro-batches == 2 data-parallel ranks
    assert ours == pytest.approx(ref, rel=2e-3)
    assert_nothing_left(torchrun_run)


def test_nan_loss_stops_every_rank_with_exit_3(tmp_path):
    res = train(tmp_path, single=False, GPUS_PER_NODE="2", MASTER_PORT="29532", PRIMUS_TUI_FAULT="nan@3")
    assert res.returncode == 3
    assert "NaN loss at iteration 3" in one_error_line(res)
    assert [s.iteration for s in res.steps] == [1, 2]  # the log is kept up to the failure
    assert_nothing_left(res)


def test_diverging_lr_stops_with_exit_3(tmp_path):
    res = train(tmp_path, overrides=("lr=1.0e30", "min_lr=0"))  # `1e30` is a string to YAML and Primus: refused
    assert res.returncode == 3
    line = one_error_line(res)
    assert "diverged at iteration" in line and "grad norm" in line


def test_rank_crash_stops_all_ranks_and_keeps_the_log(tmp_path):
    res = train(tmp_path, single=False, GPUS_PER_NODE="2", MASTER_PORT="29533", PRIMUS_TUI_FAULT="crash@3:1")
    assert res.returncode == 3
    line = one_error_line(res)
    # rank 1 is named; under heavy load rank 0 can also be SIGKILLed by torchrun while it waits in a
    # gloo collective (no Python signal handler runs there), so it may be named too.
    assert re.search(r"rank (\d+, )*1(, \d+)* died without reporting", line), line
    assert str(tmp_path / "train.log") in line
    assert [s.iteration for s in res.steps] == [1, 2]
    assert "Signal 9 (SIGKILL)" in res.log  # torchrun's own report is in the kept log
    assert_nothing_left(res)


def test_ctrl_c_leaves_no_process_behind(tmp_path):
    log = tmp_path / "train.log"
    env = cli_env(GPUS_PER_NODE="2", MASTER_PORT="29534")
    proc = subprocess.Popen([str(PRIMUS_CLI), "direct", "--log_file", str(log), "--", *TRAIN, "train_iters=100000",
                             "lr_decay_iters=100000"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (log.exists() and " iteration " in log.read_text()):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    assert len(processes_with_mark(env["PRIMUS_TEST_RUN"])) >= 4  # launcher, torchrun, 2 ranks
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted by SIGINT" in err
    proc.mark = env["PRIMUS_TEST_RUN"]  # type: ignore[attr-defined]
    assert_nothing_left(proc)


def test_missing_torch_is_exit_1_naming_the_extra(tmp_path):
    shadow = tmp_path / "shadow" / "torch"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named torch (simulated)')\n")
    res = run_cli("direct", "--single", "--log_file", str(tmp_path / "t.log"), "--", *TRAIN, cwd=tmp_path,
                  PYTHONPATH=str(tmp_path / "shadow"))
    assert res.returncode == 1, res.stderr
    line = one_error_line(res)
    assert "torch is not importable" in line and "make train-extra" in line


def test_indexed_dataset_from_data_path(tmp_path):
    import numpy
    from megatron.core.datasets.indexed_dataset import IndexedDatasetBuilder

    prefix = tmp_path / "corpus_text_document"
    builder = IndexedDatasetBuilder(f"{prefix}.bin", dtype=numpy.uint16)
    rng = numpy.random.default_rng(0)
    for _ in range(200):
        doc = numpy.concatenate([rng.integers(0, 510, rng.integers(20, 100)), [511]])
        import torch

        builder.add_document(torch.from_numpy(doc.astype(numpy.int64)), [len(doc)])
    builder.finalize(f"{prefix}.idx")
    res = train(tmp_path, overrides=("mock_data=false", f"data_path={prefix}", "split=100,0,0",
                                     "tokenizer_type=NullTokenizer", "train_iters=4", "log_interval=2"))
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr
    assert [s.iteration for s in res.steps] == [2, 4]  # log_interval
    assert str(prefix) in res.stdout  # the banner names the data
    missing = train(tmp_path, overrides=("mock_data=false", f"data_path={tmp_path / 'nope'}", "train_iters=4",
                                         "tokenizer_type=NullTokenizer"))
    assert missing.returncode == 2 and "nope.bin" in one_error_line(missing)


def test_environment_is_clean_of_test_marks():
    assert os.environ.get("PRIMUS_TEST_RUN") is None
