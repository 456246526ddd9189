"""The hand-kept list of implementation-only fields names real config fields (no typo hides one)."""

from __future__ import annotations

from primus_tui.megatron.registry import load_registry
from primus_tui.megatron.semantics import IMPLEMENTATION_FIELDS


def test_every_implementation_field_is_a_transformer_config_field() -> None:
    registry = load_registry()
    fields = set(registry.config_fields("MLATransformerConfig")) | set(registry.config_fields("TransformerConfig"))
    assert sorted(IMPLEMENTATION_FIELDS - fields) == []


def test_the_network_is_never_called_implementation() -> None:
    for key in ("hidden_size", "num_layers", "layernorm_epsilon", "num_query_groups", "window_size",
                "moe_router_topk", "moe_expert_capacity_factor", "rotary_interleaved", "qk_layernorm"):
        assert key not in IMPLEMENTATION_FIELDS, key
