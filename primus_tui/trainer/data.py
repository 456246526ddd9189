"""Training data through megatron-core's dataset builder: MockGPTDataset or indexed .bin/.idx files.

Each data-parallel rank reads its own slice of every global batch, in Megatron's
MegatronPretrainingSampler order: step k covers samples [k*mbs*dp, (k+1)*mbs*dp) and rank r
takes the r-th micro-batch of it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import torch

from primus_tui.trainer.errors import UnsupportedConfig
from primus_tui.trainer.settings import TrainSettings
from primus_tui.trainer.tokenizer import TokenizerInfo


def _blend(paths: list[str] | None):
    if not paths:
        return None
    from megatron.core.datasets.utils import get_blend_from_list

    return get_blend_from_list(paths)


def build_train_dataset(settings: TrainSettings, tokenizer: TokenizerInfo):
    """The training split only (this trainer does not evaluate)."""
    from megatron.core.datasets.blended_megatron_dataset_builder import BlendedMegatronDatasetBuilder
    from megatron.core.datasets.gpt_dataset import GPTDataset, GPTDatasetConfig, MockGPTDataset

    logging.getLogger("megatron.core.datasets").setLevel(logging.ERROR)  # "Unable to save ... indexes"
    settings.check_data()
    blend = blend_per_split = None
    split = None
    if settings.mock_data:
        cls = MockGPTDataset
    elif settings.train_data_path:
        cls = GPTDataset
        blend_per_split = [_blend(settings.train_data_path), None, None]
    else:
        cls = GPTDataset
        blend, split = _blend(settings.data_path), settings.split
    config = GPTDatasetConfig(
        random_seed=settings.seed,
        sequence_length=settings.seq_length,
        blend=blend,
        blend_per_split=blend_per_split,
        split=split,
        path_to_cache=settings.data_cache_path,
        tokenizer=tokenizer,  # type: ignore[arg-type]
        reset_position_ids=False,
        reset_attention_mask=False,
        eod_mask_loss=settings.eod_mask_loss,
        create_attention_mask=False,  # causal attention is implied (SDPA is_causal)
        mid_level_dataset_surplus=0.005,
    )
    num_samples = settings.train_iters * settings.global_batch_size
    train, _valid, _test = BlendedMegatronDatasetBuilder(cls, [num_samples, None, None], lambda: True, config).build()
    if train is None or len(train) == 0:
        raise UnsupportedConfig("data_path", "the training split is empty")
    return train


def micro_batches(dataset, settings: TrainSettings, dp_rank: int, dp_size: int, device: torch.device,
                  start_sample: int = 0) -> Iterator[dict[str, torch.Tensor]]:
    """Endless micro-batches for this rank, moved to `device`."""
    mbs = settings.micro_batch_size
    position = start_sample
    pin = device.type == "cuda"
    while True:
        first = position + dp_rank * mbs
        samples = [dataset[(first + i) % len(dataset)] for i in range(mbs)]
        position += mbs * dp_size
        batch = {key: torch.stack([torch.as_tensor(s[key]) for s in samples]) for key in ("tokens", "labels", "loss_mask", "position_ids")}
        if pin:
            batch = {k: v.pin_memory() for k, v in batch.items()}
        yield {k: v.to(device, non_blocking=True) for k, v in batch.items()}
