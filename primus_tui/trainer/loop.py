"""The pretrain loop: micro-batch accumulation, DP grad sync, clipping, AdamW, LR schedule, logging, saving."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch
import torch.distributed as dist

from primus_tui.trainer.checkpoint import save_checkpoint
from primus_tui.trainer.errors import TrainingFailed
from primus_tui.trainer.faults import FaultInjector
from primus_tui.trainer.optim import MixedPrecisionAdamW
from primus_tui.trainer.report import IterationStats, iteration_line
from primus_tui.trainer.runtime import Runtime
from primus_tui.trainer.settings import TrainSettings


@dataclass
class LoopState:
    iteration: int = 0
    consumed_samples: int = 0
    losses: list[float] = field(default_factory=list)  # one per iteration (all-reduced)


@dataclass
class Interval:
    """Megatron averages the printed loss and time over the log interval."""

    loss_sum: float = 0.0
    iters: int = 0
    started: float = field(default_factory=time.perf_counter)


def _sync(runtime: Runtime) -> None:
    if runtime.is_gpu:
        torch.cuda.synchronize(runtime.device)


def _mean_over_ranks(value: torch.Tensor, runtime: Runtime) -> float:
    if runtime.world_size > 1:
        value = value.clone()
        dist.all_reduce(value)  # SUM: gloo has no AVG
        value /= runtime.world_size
    return float(value.item())


class Trainer:
    def __init__(self, ddp_model, optimizer: MixedPrecisionAdamW, scheduler, batches: Iterator[dict],
                 settings: TrainSettings, runtime: Runtime, flops_per_token: float,
                 state_for_save: Callable[[LoopState], dict], out=sys.stdout, start_iteration: int = 0,
                 consumed_samples: int = 0, on_save: Callable[[str], None] | None = None) -> None:
        self.model = ddp_model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.batches = batches
        self.settings = settings
        self.runtime = runtime
        self.flops_per_token = flops_per_token
        self.state_for_save = state_for_save
        self.out = out
        self.num_micro = settings.num_microbatches(runtime.world_size)
        self.faults = FaultInjector(runtime.rank, runtime.world_size)
        self.state = LoopState(iteration=start_iteration, consumed_samples=consumed_samples)
        self.on_save = on_save  # e.g. carry the loaded checkpoint's export sidecar into the save folder
        for _ in range(start_iteration):  # a resumed run continues the LR schedule where it stopped
            scheduler.step(increment=settings.global_batch_size)
        self._scale_moe_aux_loss()

    def _scale_moe_aux_loss(self) -> None:
        """MoE aux-loss gradients must shrink with the main loss (1 / micro-batches), as Megatron's
        forward_step sets; without this they would weigh num_microbatches times too much."""
        from megatron.core.transformer.moe.moe_utils import MoEAuxLossAutoScaler

        MoEAuxLossAutoScaler.set_loss_scale(torch.tensor(1.0 / self.num_micro, device=self.runtime.device))

    def _micro_step(self, iteration: int) -> torch.Tensor:
        batch = next(self.batches)
        per_token = self.model(batch["tokens"], batch["position_ids"], None, labels=batch["labels"])
        mask = batch["loss_mask"].float()
        loss = (per_token.float() * mask).sum() / mask.sum().clamp(min=1.0)
        if self.faults.nan_loss(iteration):
            loss = loss * float("nan")
        (loss / self.num_micro).backward()
        return loss.detach()

    def train_step(self, iteration: int) -> tuple[float, float]:
        """One global batch; returns (lm loss averaged over micro-batches and ranks, grad norm).

        bf16 and fp32 have no loss scaler that could recover from an overflow (unlike fp16), so
        a NaN loss or a non-finite gradient norm stops the run, as Megatron's NaN check does.
        """
        self.model.zero_grad_buffer()
        self.optimizer.zero_grad()
        loss_sum = torch.zeros((), device=self.runtime.device)
        for _ in range(self.num_micro):
            loss_sum += self._micro_step(iteration)
        self.model.finish_grad_sync()
        lm_loss = _mean_over_ranks(loss_sum / self.num_micro, self.runtime)
        if not math.isfinite(lm_loss):
            raise TrainingFailed(f"NaN loss at iteration {iteration} (lm loss: {lm_loss}); stopping")
        result = self.optimizer.step()
        if not result.applied:
            raise TrainingFailed(
                f"training diverged at iteration {iteration}: grad norm is {result.grad_norm} "
                f"(lm loss {lm_loss:.4f}); stopping (lower lr?)"
            )
        self.scheduler.step(increment=self.settings.global_batch_size)
        return lm_loss, result.grad_norm

    def _log(self, iteration: int, interval: Interval, grad_norm: float | None) -> None:
        _sync(self.runtime)
        elapsed = (time.perf_counter() - interval.started) / max(1, interval.iters)
        s = self.settings
        tokens = s.global_batch_size * s.seq_length / elapsed / self.runtime.world_size
        stats = IterationStats(
            iteration=iteration,
            train_iters=s.train_iters,
            consumed_samples=self.state.consumed_samples,
            elapsed_ms=elapsed * 1000.0,
            tflops_per_gpu=tokens * self.flops_per_token / 1e12,
            tokens_per_gpu=tokens,
            learning_rate=self.optimizer.param_groups[0]["lr"],
            global_batch_size=s.global_batch_size,
            lm_loss=interval.loss_sum / max(1, interval.iters),
            loss_scale=1.0,
            grad_norm=grad_norm,
            skipped=0,  # a non-finite step stops the run instead (see train_step)
            nan=0,
        )
        if self.runtime.is_first:
            print(iteration_line(stats), file=self.out, flush=True)

    def _save(self, iteration: int) -> None:
        if self.settings.save and self.runtime.is_first:
            path = save_checkpoint(self.settings.save, iteration, self.state_for_save(self.state))
            if self.on_save is not None:
                self.on_save(self.settings.save)
            print(f"[primus-tui] saved checkpoint at iteration {iteration} to {path}", file=self.out, flush=True)
        if self.runtime.world_size > 1:
            dist.barrier()

    def run(self) -> LoopState:
        s = self.settings
        self.model.train()
        interval = Interval()
        for iteration in range(self.state.iteration + 1, s.train_iters + 1):
            self.faults.maybe_crash(iteration)
            lm_loss, grad_norm = self.train_step(iteration)
            self.state.iteration = iteration
            self.state.consumed_samples += s.global_batch_size
            self.state.losses.append(lm_loss)
            interval.loss_sum += lm_loss
            interval.iters += 1
            if iteration % s.log_interval == 0 or iteration == s.train_iters:
                self._log(iteration, interval, grad_norm)
                interval = Interval()
            if s.save and s.save_interval and iteration % s.save_interval == 0:
                self._save(iteration)
        if s.save and not s.disable_last_saving and not (s.save_interval and s.train_iters % s.save_interval == 0):
            self._save(s.train_iters)
        return self.state
