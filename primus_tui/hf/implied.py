"""The network values an HF model implies on top of one base preset chain, and the base's dead keys.

The mapping's fields are the HF model's values for the keys it has rules for. A base chain can
also carry network dests the mapping has no rule for (set away from Megatron's default, e.g. a
softcap or a different activation) and keys Megatron never reads (Primus's presets spell the RMSNorm
epsilon `norm_epsilon`; the dest is `layernorm_epsilon`). Both are decided here, once, for the
ranking, the rendering and the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from primus_tui.hf import megatron_facts as facts
from primus_tui.hf.keys import ABSENT_FEATURES
from primus_tui.hf.presets import ABSENT, same


@dataclass(frozen=True)
class DeadKey:
    """A base key Megatron never reads, and the live dest it was probably meant to be."""

    key: str
    value: object
    live: str | None
    reason: str


def implied_values(mapping, base_data: dict) -> tuple[dict[str, object], dict[str, str]]:
    """(key -> value the HF model implies, key -> why) for the mapped fields plus every network dest
    of `keys.ABSENT_FEATURES` the base sets: the HF model has no such feature, so Megatron's default
    (the plain network) is what it implies."""
    values, why = dict(mapping.fields), dict(mapping.hf_source)
    for key in ABSENT_FEATURES:
        if key not in base_data or key in values:
            continue
        default = facts.default(key)
        if default is not ABSENT and not same(key, base_data[key], default):
            values[key] = default
            why[key] = f"Megatron default; the base sets {base_data[key]!r}, which the HF model does not have"
    return values, why


def dead_keys(mapping, base_data: dict) -> list[DeadKey]:
    """Base keys Megatron never reads whose live spelling is a key the HF model sets."""
    out = []
    for key, live in facts.dead_keys(base_data).items():
        if live.suggestion in mapping.fields:
            out.append(DeadKey(key, base_data[key], live.suggestion, live.reason))
    return out
