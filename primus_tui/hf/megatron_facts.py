"""What Megatron-LM at Primus's pinned commit does with a key, as the HF import needs to know it.

One door onto `primus_tui.megatron` (the registry derived from Megatron's sources): which keys
are argparse dests (Primus drops the rest), their defaults, which GPTModel parameters
`gpt_builder` never passes, and whether a key in a merged config reaches the network. The
registry is loaded once, lazily (nothing heavy at import time).
"""

from __future__ import annotations

from functools import lru_cache

# Megatron's llama3 RoPE scaling: `RotaryEmbedding.__init__` calls
# `self._apply_scaling(self.inv_freq, factor=rope_scaling_factor)`, so the other parameters of
# `_apply_scaling` (megatron/core/models/common/embeddings/rotary_pos_embedding.py) always keep
# their defaults. HF rope_scaling key -> that default (tests check it against megatron-core).
LLAMA3_FIXED: dict[str, float] = {"low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                  "original_max_position_embeddings": 8192}

# MLATransformerConfig fields that no argparse dest sets at the pinned commit, so the config
# class default is what Megatron builds (checked against the registry by the tests).
MLA_FIXED: dict[str, float] = {"original_max_position_embeddings": 4096, "beta_fast": 32.0, "beta_slow": 1.0}

ABSENT = object()


@lru_cache(maxsize=1)
def registry():
    """The Megatron argument registry (primus_tui.megatron), loaded once."""
    from primus_tui.megatron.registry import load_registry

    return load_registry()


def is_dest(key: str) -> bool:
    """Does Megatron's parser have this dest (else Primus drops the key without a word)?"""
    return registry().is_dest(key)


def default(key: str) -> object:
    """Megatron's argparse default for `key`, or ABSENT when it is not a dest."""
    reg = registry()
    return reg.args[key].default if reg.is_dest(key) else ABSENT


def gpt_fixed(name: str) -> object:
    """The value GPTModel uses for a parameter `gpt_builder` never passes (e.g. rope_scaling_factor)."""
    return registry().gpt_fixed[name]


def network_dests(mla: bool) -> frozenset[str]:
    """Dests that change the network Megatron builds (MLA-only ones when `mla`)."""
    return frozenset(registry().network_dests(mla))


def liveness(values: dict) -> dict:
    """key -> KeyLiveness(status network|run|primus|inert|unknown, reason, suggestion) for a merged
    module config (its own `model_type` key is Primus's model dispatch, e.g. gpt)."""
    from primus_tui.megatron.liveness import classify

    return classify(values, registry())


def dead_keys(data: dict) -> dict:
    """key -> KeyLiveness for the keys of a merged preset Megatron never reads (e.g. norm_epsilon,
    whose `suggestion` is the live dest layernorm_epsilon)."""
    return {key: live for key, live in liveness(data).items() if live.dead}
