"""What Megatron makes of a config value: two spellings that build the same network are equal.

A merged Primus config can say the same thing in several ways, and a check that compares the
YAML values literally reports differences that Megatron never sees (`moe_layer_freq: "1"` in a
Qwen3 preset against the `1` an HF import asks for). The rules here are the normalisations on the
path from the YAML to the network, each quoted from the code that applies it:

- Primus patch `megatron.args.moe_layer_freq` (primus/backends/megatron/patches/args/
  moe_layer_freq_patches.py, phase build_args): a string `moe_layer_freq` is `eval`'d, so `"1"`
  is `1` and `"([0]*1+[1]*26)"` the list it spells; Megatron then reads an int N as "every N-th
  layer" (`moe_freq_type`, megatron/training/arguments.py), so the per-layer pattern is the meaning.
- Megatron reads a boolean switch (argparse `store_true` / `store_false`, or a TransformerConfig
  `bool` field) by truth value only (`if args.moe_shared_expert_gate:`), and Primus's
  MegatronArgBuilder lets a YAML `null` through as None: None and False build the same network.
- An int where Megatron's argument is a float (`rotary_base: 10000` against `10000.0`) is the same
  number to every consumer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from primus_tui.hf.moe_layers import expand_freq, parse_freq
from primus_tui.megatron.registry import Registry

BOOL_ACTIONS = ("store_true", "store_false")


def _is_switch(key: str, registry: Registry | None) -> bool:
    spec = registry.args.get(key) if registry is not None else None
    return spec is not None and (spec.action in BOOL_ACTIONS or spec.type == "bool")


def megatron_meaning(key: str, value: Any, registry: Registry | None, context: Mapping[str, Any] | None = None) -> Any:
    """The value as the network sees it (see the module docstring); `context` gives num_layers."""
    if key == "moe_layer_freq":
        layers = (context or {}).get("num_layers")
        if isinstance(layers, int) and not isinstance(layers, bool) and layers > 0:
            flags = expand_freq(value, layers)
            if flags is not None:
                return tuple(flags)
        parsed = parse_freq(value)
        return value if parsed is None else parsed
    if _is_switch(key, registry) and (value is None or isinstance(value, bool)):
        return bool(value)
    return value


def same_meaning(key: str, asked: Any, got: Any, registry: Registry | None,
                 context: Mapping[str, Any] | None = None) -> bool:
    """True when Megatron builds the same thing from `asked` and `got` (bool is never an int here)."""
    a, g = megatron_meaning(key, asked, registry, context), megatron_meaning(key, got, registry, context)
    return a == g and isinstance(a, bool) == isinstance(g, bool)
