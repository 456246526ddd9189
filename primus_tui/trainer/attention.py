"""Core attention on torch's fused scaled_dot_product_attention (flash / cuDNN / efficient kernels).

megatron-core's local spec uses `DotProductAttention`, which materialises the [b, h, s, s]
score matrix (unfused, ~4x slower at TinyLlama shape on an H100 and out of memory at
micro-batch 4, see /work/shared/bench). Transformer Engine is not assumed, so this module
plugs SDPA into the same slot of the layer spec with the same call contract.

Sliding-window attention (`window_size` = (left, right), -1 = unbounded, as in Transformer
Engine / flash attention; `window_attn_skip_freq` picks the windowed layers) is applied as an
explicit banded mask only when the window actually cuts the sequence; otherwise the fast
`is_causal` path runs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from megatron.core.transformer.enums import AttnMaskType
from megatron.core.transformer.module import MegatronModule
from megatron.core.transformer.utils import is_layer_window_attention


def sliding_window_mask(sq: int, sk: int, window: tuple[int, int], causal: bool, device=None) -> torch.Tensor | None:
    """[sq, sk] bool mask, True = attend: query i (aligned to the end of the keys) sees keys
    j with i - left <= j <= i + right (right = 0 when causal). None when the window cuts nothing."""
    left, right = window
    if causal:
        right = 0
    offset = sk - sq  # bottom-right alignment, as flash attention / TE: query i sits at key offset + i
    cuts_left = left >= 0 and sk - 1 > left  # the last query is more than `left` past key 0
    cuts_right = right >= 0 and not causal and sk - 1 - offset > right  # key sk-1 is past the first query's reach
    if not (cuts_left or cuts_right):
        return None
    q = torch.arange(sq, device=device).unsqueeze(1) + offset
    k = torch.arange(sk, device=device).unsqueeze(0)
    allowed = torch.ones(sq, sk, dtype=torch.bool, device=device)
    if left >= 0:
        allowed &= k >= q - left
    if right >= 0:
        allowed &= k <= q + right
    return allowed


class SDPACoreAttention(MegatronModule):
    """Drop-in for `DotProductAttention`: [s, b, heads, d] in, [s, b, heads * d] out."""

    def __init__(self, config, layer_number, attn_mask_type, attention_type, attention_dropout=None,
                 softmax_scale=None, **_unused) -> None:
        super().__init__(config=config)
        head_dim = config.kv_channels or config.hidden_size // config.num_attention_heads
        # apply_query_key_layer_scaling divides the scores by the layer number and the softmax
        # multiplies them back: a numerical trick for fp16 that cancels out, so it is ignored.
        self.softmax_scale = softmax_scale if softmax_scale is not None else 1.0 / math.sqrt(head_dim)
        self.attn_mask_type = attn_mask_type
        self.dropout = config.attention_dropout if attention_dropout is None else attention_dropout
        windowed = is_layer_window_attention(config.window_size, config.window_attn_skip_freq, max(1, layer_number))
        self.window_size = tuple(config.window_size) if windowed else None

    def forward(self, query, key, value, attention_mask=None, attn_mask_type=None, attention_bias=None,
                packed_seq_params=None, **_unused):
        if packed_seq_params is not None or attention_bias is not None:
            raise NotImplementedError("SDPACoreAttention supports neither packed sequences nor attention bias")
        mask_type = attn_mask_type or self.attn_mask_type
        causal = mask_type == AttnMaskType.causal
        q, k, v = (t.permute(1, 2, 0, 3) for t in (query, key, value))  # -> [b, heads, s, d]
        mask = None
        if not causal and attention_mask is not None:
            mask = ~attention_mask  # megatron: True = masked out; SDPA: True = attend
        if self.window_size is not None:
            band = sliding_window_mask(q.shape[2], k.shape[2], self.window_size, causal, device=q.device)
            if band is not None:  # the window cuts the sequence: explicit banded mask instead of is_causal
                mask = band if mask is None else mask & band
                causal = False
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0, is_causal=causal,
            scale=self.softmax_scale, enable_gqa=k.shape[1] != q.shape[1],
        )
        s, b = query.shape[0], query.shape[1]
        return out.permute(2, 0, 1, 3).reshape(s, b, -1)
