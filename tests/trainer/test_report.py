"""Our iteration line is Megatron's format: launch.logparse reads it back field for field."""

from __future__ import annotations

from datetime import datetime

from primus_tui.launch.logparse import parse_line
from primus_tui.trainer.report import IterationStats, banner, iteration_line, model_flops_per_token

STATS = IterationStats(iteration=7, train_iters=20, consumed_samples=56, elapsed_ms=123.45, tflops_per_gpu=401.2,
                       tokens_per_gpu=61234.5, learning_rate=2.5e-4, global_batch_size=8, lm_loss=9.87654321,
                       loss_scale=1.0, grad_norm=1.2345, skipped=0, nan=0)


def test_exact_megatron_format():
    line = iteration_line(STATS, now=datetime(2026, 1, 2, 3, 4, 5, 678))
    assert line == (
        " [2026-01-02 03:04:05.000678] iteration        7/      20 | consumed samples:           56 |"
        " elapsed time per iteration (ms): 123.5 | throughput per GPU (TFLOP/s/GPU): 401.2 |"
        " tokens per GPU (tokens/s/GPU): 61234.5 | learning rate: 2.500000E-04 | global batch size:     8 |"
        " lm loss: 9.876543E+00 | loss scale: 1.0 | grad norm: 1.234 | number of skipped iterations:   0 |"
        " number of nan iterations:   0 |"
    )


def test_round_trip_through_logparse():
    step = parse_line(iteration_line(STATS))
    assert (step.iteration, step.train_iters, step.consumed_samples, step.global_batch_size) == (7, 20, 56, 8)
    assert (step.elapsed_ms, step.tflops_per_gpu, step.tokens_per_sec) == (123.5, 401.2, 61234.5)
    assert (step.learning_rate, step.lm_loss, step.loss_scale, step.grad_norm) == (2.5e-4, 9.876543, 1.0, 1.234)
    assert (step.skipped, step.nan, step.extra) == (0, 0, {})


def test_nan_loss_is_left_out_like_megatron():
    line = iteration_line(IterationStats(**{**STATS.__dict__, "lm_loss": float("nan"), "grad_norm": None}))
    assert "lm loss" not in line and "grad norm" not in line
    assert parse_line(line).lm_loss is None


def test_flops_convention_and_banner():
    # TinyLlama: 6 x non-embedding params + 12 x L x H x S (the reference benchmarks' MFU convention)
    assert model_flops_per_token(1_034_512_384, 22, 2048, 2048) == 6 * 1_034_512_384 + 12 * 22 * 2048 * 2048
    text = banner([("framework", "megatron"), ("model file", "x.yaml")])
    assert "  framework  : megatron" in text and "  model file : x.yaml" in text
