"""Process setup: device, torch.distributed (nccl on GPU, gloo on CPU), megatron parallel state, seeds."""

from __future__ import annotations

import contextlib
import os
import random
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Runtime:
    device: torch.device
    rank: int
    world_size: int
    local_rank: int

    @property
    def is_gpu(self) -> bool:
        return self.device.type == "cuda"

    @property
    def is_first(self) -> bool:
        return self.rank == 0

    def describe(self) -> str:
        if self.is_gpu:
            return f"{torch.cuda.get_device_name(self.device)} (cuda:{self.device.index})"
        return "CPU"


def _patch_megatron_for_cpu() -> None:
    """megatron-core assumes CUDA in a few places; on CPU they must resolve to the CPU.

    `torch.cuda.current_device()` is where megatron allocates grad buffers, and the CUDA RNG
    tracker's fork() (used for dropout/init under tensor parallelism) has no CPU equivalent.
    On a CPU-only torch, `torch.cuda.synchronize()` (dist_checkpointing's save) is a no-op.
    """
    torch.cuda.current_device = lambda: torch.device("cpu")  # type: ignore[assignment]
    if not torch.cuda.is_available():  # dist_checkpointing's save syncs the (absent) device after its D2H copies
        torch.cuda.synchronize = lambda *a, **k: None  # type: ignore[assignment]
    from megatron.core.tensor_parallel import random as mp_random

    mp_random.get_cuda_rng_tracker().fork = lambda *a, **k: contextlib.nullcontext()  # type: ignore[method-assign]


def _patch_megatron_without_te() -> None:
    """megatron-core 0.16.1's MoE router reads `te_general_gemm`, defined only when Transformer
    Engine imports (NameError otherwise, on GPU as on CPU); None selects its torch.mm path."""
    from megatron.core.transformer.moe import moe_utils

    if not hasattr(moe_utils, "te_general_gemm"):
        moe_utils.te_general_gemm = None


def init_runtime(seed: int, *, force_cpu: bool = False) -> Runtime:
    """Join the process group torchrun describes (or a one-process group) and seed everything.

    `force_cpu`: a CPU/gloo group even where a GPU exists (checkpoint conversion needs no GPU).
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    gpu = torch.cuda.is_available() and os.environ.get("PRIMUS_TUI_FORCE_CPU") != "1" and not force_cpu
    if gpu:
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
        _patch_megatron_for_cpu()
    _patch_megatron_without_te()
    backend = "nccl" if gpu else "gloo"
    if not dist.is_initialized():
        if "RANK" not in os.environ:  # plain `python` (--single): a one-process group, no port
            dist.init_process_group(backend, store=dist.HashStore(), rank=0, world_size=1)
        else:
            kwargs = {"device_id": device} if gpu else {}
            dist.init_process_group(backend, rank=rank, world_size=world_size, **kwargs)
    from megatron.core import parallel_state

    if not parallel_state.model_parallel_is_initialized():
        parallel_state.initialize_model_parallel(1, 1)
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy

        numpy.random.seed(seed)
    except ImportError:
        pass
    if gpu:
        from megatron.core.tensor_parallel.random import model_parallel_cuda_manual_seed

        model_parallel_cuda_manual_seed(seed)
    return Runtime(device=device, rank=rank, world_size=world_size, local_rank=local_rank)


def shutdown() -> None:
    if dist.is_initialized():
        with contextlib.suppress(Exception):
            dist.destroy_process_group()
