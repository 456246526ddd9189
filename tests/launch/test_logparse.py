"""logparse on real Megatron-LM / Primus log lines (copied from public issues), ours, and noise."""

from __future__ import annotations

import math

from primus_tui.launch.logparse import TrainingStep, parse_line, parse_log, split_lines, strip_ansi

# NVIDIA/Megatron-LM issue #756 (Mixtral 8x7B, Megatron-LM with timestamps and an MoE loss).
MEGATRON_756 = (
    " [2024-04-06 02:55:45] iteration        2/     100 | consumed samples:          256 | "
    "elapsed time per iteration (ms): 5630.1 | throughput per GPU (TFLOP/s/GPU): 231.9 | "
    "learning rate: 4.000000E-07 | global batch size:   128 | lm loss: 2.021530E+00 | "
    "load_balancing_loss: 1.087362E+00 | loss scale: 1.0 | grad norm: 6.895 | num zeros: 0.0 | "
    "number of skipped iterations:   0 | number of nan iterations:   0 |"
)
# epfLLM/Megatron-LLM issue #11 (no throughput field).
MEGATRON_EPFL = (
    " iteration      122/  250000 | consumed samples:       124928 | elapsed time per iteration (ms): 86545.2 | "
    "learning rate: 9.150E-06 | global batch size:  1024 | lm loss: 2.504220E+00 | loss scale: 1.0 | "
    "grad norm: 0.231 | number of skipped iterations:   0 | number of nan iterations:   0 |"
)
# NVIDIA/nccl issue #743 (BERT fp16 warm-up: no loss, no grad norm, skipped iterations).
MEGATRON_SKIPPED = (
    " iteration       10/ 1000000 | consumed samples:           40 | elapsed time per iteration (ms): 356.2 | "
    "learning rate: 0.000E+00 | global batch size:     4 | loss scale: 8388608.0 | "
    "number of skipped iterations:  10 | number of nan iterations:   0 |"
)
# Primus: loguru prefix (rank, level, module) and its rewritten throughput segments
# (primus/backends/megatron/patches/training_log/print_rank_last_patches.py).
PRIMUS = (
    "[20260406 22:33:50][rank-7/8][INFO]     [-----------------------trainer.py:1544] : "
    " iteration       20/      50 | consumed samples:         2560 | elapsed time per iteration (ms): 2210.4/2230.9 | "
    "hip mem usage/free/total/usage_ratio: 120.51GB/71.49GB/192.00GB/62.77% | "
    "compute per GPU (TFLOP/s/GPU): 412.3 (avg 409.8)  | tokens/s/GPU inst/harmonic mean: 9573.2/9512.7 | "
    "learning rate: 1.000000E-05 | global batch size:   128 | lm loss: 9.871234E+00 | loss scale: 1.0 | "
    "grad norm: 3.210 | number of skipped iterations:   0 | number of nan iterations:   0 |"
)
# Primus torchtitan/megatron-bridge style tokens segment.
PRIMUS_TOKENS = (
    " iteration        5/      10 | consumed samples: 640 | elapsed time per iteration (ms): 1000.0 | "
    "throughput per GPU (TFLOP/s/GPU): 347.9 | tokens per GPU (tokens/s/GPU): 6759.1 | global batch size:   128 |"
)


def test_megatron_line_all_fields():
    step = parse_line(MEGATRON_756)
    assert step == TrainingStep(
        iteration=2,
        train_iters=100,
        consumed_samples=256,
        elapsed_ms=5630.1,
        tflops_per_gpu=231.9,
        learning_rate=4e-07,
        global_batch_size=128,
        lm_loss=2.02153,
        loss_scale=1.0,
        grad_norm=6.895,
        skipped=0,
        nan=0,
        extra={"load_balancing_loss": "1.087362E+00", "num zeros": "0.0"},
    )


def test_missing_fields_stay_none():
    step = parse_line(MEGATRON_EPFL)
    assert (step.iteration, step.train_iters, step.consumed_samples) == (122, 250000, 124928)
    assert step.tflops_per_gpu is None and step.tokens_per_sec is None
    assert step.lm_loss == 2.50422 and step.grad_norm == 0.231
    skipped = parse_line(MEGATRON_SKIPPED)
    assert skipped.lm_loss is None and skipped.grad_norm is None and not skipped.loss_is_finite
    assert skipped.skipped == 10 and skipped.loss_scale == 8388608.0 and skipped.learning_rate == 0.0


def test_primus_prefix_and_rewritten_segments():
    step = parse_line(PRIMUS)
    assert step.rank == 7 and step.iteration == 20 and step.train_iters == 50
    assert step.elapsed_ms == 2210.4  # instant value, not the running average
    assert step.tflops_per_gpu == 412.3 and step.tokens_per_sec == 9573.2
    assert step.lm_loss == 9.871234 and step.global_batch_size == 128
    assert "hip mem usage/free/total/usage_ratio" in step.extra
    assert parse_line(PRIMUS_TOKENS).tokens_per_sec == 6759.1


def test_ansi_colours_and_carriage_returns():
    coloured = "\x1b[32m[20260406 22:33:50]\x1b[0m\x1b[36m[rank-0/8]\x1b[0m\x1b[1m[INFO]\x1b[0m : " + MEGATRON_EPFL
    assert parse_line(coloured).rank == 0
    assert parse_line("progress 10%\rprogress 90%\r" + MEGATRON_EPFL + "\r\n").iteration == 122
    assert strip_ansi("\x1b[1;31mred\x1b[0m \x1b]0;title\x07ok") == "red ok"


def test_not_a_training_line():
    for line in [
        "",
        "training ...",
        "[after dataloaders are built] datetime: 2022-10-31 08:35:51 ",
        "time (ms) | forward-compute: 193.77 | backward-compute: 73.02",
        "elapsed time per iteration (ms): 1.0 | lm loss: 1.0",
        "[Rank 1] (after 1 iterations) memory (MB) | allocated: 54250.97 | max allocated: 54250.98",
    ]:
        assert parse_line(line) is None, line


def test_nan_and_inf_values():
    step = parse_line(" iteration        3/      10 | lm loss: nan | grad norm: inf | number of nan iterations:   1 |")
    assert math.isnan(step.lm_loss) and math.isinf(step.grad_norm) and step.nan == 1
    assert not step.loss_is_finite


def test_split_lines_streaming():
    chunks = ["abc\r\nit", "eration 1/ 2 | lm loss: 1.0 |\n\x1b[3", "2mgreen\x1b[0m\ndown 10%\rdown 100%\nta", "il"]
    buffer, seen = "", []
    for chunk in chunks:
        lines, buffer = split_lines(buffer + chunk)
        seen += lines
    assert seen == ["abc", "iteration 1/ 2 | lm loss: 1.0 |", "green", "down 100%"]
    assert buffer == "tail"
    assert split_lines("") == ([], "")


def test_parse_log_whole_text():
    text = "\n".join(["banner", MEGATRON_756, "noise", MEGATRON_EPFL])  # no trailing newline
    assert [s.iteration for s in parse_log(text)] == [2, 122]
