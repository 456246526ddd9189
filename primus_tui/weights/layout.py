"""The head geometry of the HF model (from its config.json): what fusing q/k/v and MLA rope rows needs.

Tensor names say which tensors exist, not how many heads share a row block; that comes from
the HF config, the source of truth for the checkpoint being read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from primus_tui.hf.families import family_for


@dataclass(frozen=True)
class HFLayout:
    model_type: str
    num_layers: int
    hidden_size: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    tied: bool
    # MLA (DeepSeek-V2/V3) only
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    rope_interleave: bool = True  # HF rotates interleaved pairs of the rope channels (megatron MLA does too)

    @property
    def heads_per_group(self) -> int:
        return self.num_heads // self.num_kv_heads

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> HFLayout:
        # The family's key names and config class defaults (EXAONE's num_layers, Qwen3's head_dim 128),
        # as the import read them.
        family = family_for(str(config.get("model_type", "")))
        config = family.with_defaults(dict(config))
        heads = int(config["num_attention_heads"])
        hidden = int(config["hidden_size"])
        kv = config.get("num_key_value_heads") or heads
        if heads % int(kv):
            raise ValueError(f"num_key_value_heads {kv} does not divide num_attention_heads {heads}")
        model_type = str(config.get("model_type", ""))
        return cls(
            model_type=model_type,
            num_layers=int(config["num_hidden_layers"]),
            hidden_size=hidden,
            num_heads=heads,
            num_kv_heads=int(kv),
            head_dim=int(config.get("head_dim") or hidden // heads),
            tied=bool(config.get("tie_word_embeddings", False)),
            qk_nope_head_dim=int(config.get("qk_nope_head_dim") or 0),
            qk_rope_head_dim=int(config.get("qk_rope_head_dim") or 0),
            v_head_dim=int(config.get("v_head_dim") or 0),
            # the family knows: DeepSeek-V2 always rotates interleaved pairs, V3 unless rope_interleave is false
            rope_interleave=family.rope_interleaved(config),
        )
