"""AdamW with fp32 master weights over megatron-core DDP's fp32 main grads, and Megatron's LR schedule.

Why not `megatron.core.optimizer.get_megatron_optimizer`: its optimizers allocate on 'cuda'
and type-check `torch.cuda.*Tensor`, so they cannot run on CPU, where the tests run. This is
the same scheme as its `Float16OptimizerWithFloat16Params` (bf16 model weights, fp32 master
copies and fp32 Adam state, grads accumulated and all-reduced in fp32 by megatron-core's
`DistributedDataParallel(grad_reduce_in_fp32=True)`, global-norm clipping, no weight decay
on biases and norms), in one code path the CPU tests exercise in both fp32 and bf16.
The scheduler is megatron-core's own `OptimizerParamScheduler`, counted in samples like
Megatron's training loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from primus_tui.trainer.settings import TrainSettings


@dataclass
class StepResult:
    grad_norm: float  # before clipping, like Megatron's log
    applied: bool  # False when the norm is not finite (the weights were left untouched)


def _no_weight_decay(name: str, param: torch.nn.Parameter) -> bool:
    """Megatron's default: no decay for biases and 1-D parameters (norm weights)."""
    return name.endswith(".bias") or param.dim() == 1


class MixedPrecisionAdamW:
    """AdamW on fp32 masters; model params may be bf16 (copied back after each step)."""

    def __init__(self, model: torch.nn.Module, settings: TrainSettings, *, fused: bool = False) -> None:
        self.settings = settings
        self.model_params: list[torch.nn.Parameter] = []
        self.masters: list[torch.Tensor] = []
        groups: dict[bool, list[torch.Tensor]] = {True: [], False: []}
        for name, param in model.named_parameters():
            if not param.requires_grad:
                continue
            master = param if param.dtype == torch.float32 else param.detach().clone().float()
            if master is not param:
                master.requires_grad_(True)
            self.model_params.append(param)
            self.masters.append(master)
            groups[_no_weight_decay(name, param)].append(master)
        param_groups = [
            {"params": groups[False], "wd_mult": 1.0},
            {"params": groups[True], "wd_mult": 0.0},
        ]
        param_groups = [g for g in param_groups if g["params"]]
        kwargs = {"fused": True} if fused else {"foreach": True}
        self.inner = torch.optim.AdamW(
            param_groups, lr=settings.lr, betas=(settings.adam_beta1, settings.adam_beta2),
            eps=settings.adam_eps, weight_decay=settings.weight_decay, **kwargs,
        )

    @property
    def param_groups(self) -> list[dict]:
        """What OptimizerParamScheduler sets lr / weight_decay on."""
        return self.inner.param_groups

    def _grads(self) -> list[torch.Tensor]:
        grads = []
        for param, master in zip(self.model_params, self.masters):
            grad = getattr(param, "main_grad", None)
            if grad is None:
                grad = param.grad if param.grad is not None else torch.zeros_like(master)
            master.grad = grad if grad.dtype == torch.float32 else grad.float()
            grads.append(master.grad)
        return grads

    @torch.no_grad()
    def step(self) -> StepResult:
        grads = self._grads()
        norms = torch._foreach_norm(grads) if grads else []
        total = torch.linalg.vector_norm(torch.stack(norms)).item() if norms else 0.0
        if not math.isfinite(total):
            return StepResult(grad_norm=total, applied=False)
        clip = self.settings.clip_grad
        if clip > 0 and total > clip:
            torch._foreach_mul_(grads, clip / (total + 1e-6))
        self.inner.step()
        for param, master in zip(self.model_params, self.masters):
            if master is not param:
                param.data.copy_(master)
        return StepResult(grad_norm=total, applied=True)

    def zero_grad(self) -> None:
        for master in self.masters:
            master.grad = None
        for param in self.model_params:
            param.grad = None

    def state_dict(self) -> dict:
        return {"optimizer": self.inner.state_dict(), "fp32_masters": [m.detach().cpu() for m in self.masters]}


def lr_scheduler(optimizer: MixedPrecisionAdamW, settings: TrainSettings):
    """megatron-core's OptimizerParamScheduler, stepped by global-batch samples as Megatron does."""
    from megatron.core.optimizer_param_scheduler import OptimizerParamScheduler

    gbs = settings.global_batch_size
    return OptimizerParamScheduler(
        optimizer,  # type: ignore[arg-type]
        init_lr=settings.lr_warmup_init,
        max_lr=settings.lr,
        min_lr=settings.min_lr,
        lr_warmup_steps=settings.lr_warmup_iters * gbs,
        lr_decay_steps=settings.lr_decay_iters * gbs,
        lr_decay_style=settings.lr_decay_style,
        start_wd=settings.weight_decay,
        end_wd=settings.weight_decay,
        wd_incr_steps=settings.train_iters * gbs,
        wd_incr_style="constant",
    )
