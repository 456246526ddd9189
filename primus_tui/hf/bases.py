"""Rank the tree's model presets as `extends` bases for an HF model.

Family match first (a llama preset for a llama model), then a related family (llama presets for
Mistral), then the rest; within a tier, fewest keys to override, then name. `language_model.yaml`
is the seed guide's Option A (generic base, set everything); the best same- or related-family
preset is Option B (closest model, override the differences).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from primus_tui.config import ConfigError
from primus_tui.hf.families import preset_families, preset_family
from primus_tui.hf.families import related as related_families
from primus_tui.hf.implied import implied_values
from primus_tui.hf.presets import ABSENT, is_gpt_preset, raw_value, same

OPTION_A = "language_model.yaml"


@dataclass
class BaseCandidate:
    name: str
    family_match: bool
    overrides: dict[str, tuple[object, object]] = field(default_factory=dict)  # key -> (base value, needed)
    reason: str = ""
    option: str | None = None  # "A" (language_model.yaml) | "B" (closest family preset) | None


def needed_overrides(fields: dict, base_data: dict) -> dict[str, tuple[object, object]]:
    """Keys whose value in the merged base differs from what the model needs."""
    n_layers = fields.get("num_layers")
    out: dict[str, tuple[object, object]] = {}
    for key, value in fields.items():
        have = raw_value(base_data, key)
        # A key the chain leaves unset is written unless the HF value is null: the file then says
        # what the network needs instead of leaning on a default nobody sees (absent reads as null).
        if not same(key, have, value, n_layers) or (key not in base_data and value is not None):
            out[key] = (None if have is ABSENT else have, value)
    return out


def rank_bases(mapping, tree, *, quick: bool = False) -> list[BaseCandidate]:
    """Every loadable GPT model preset of `tree`, best first, with the keys each would need.

    `quick` loads only language_model.yaml and presets whose file name says same or related
    family (enough to pick Options A and B; the CLI's fast path).
    """
    family = mapping.family
    out: list[BaseCandidate] = []
    tiers: dict[str, int] = {}
    names = tree.model_presets()
    if quick:
        names = [n for n in names if n == OPTION_A or _maybe_related(preset_families(n), family)]
    for name in names:
        try:
            data = tree.load_preset(name, "models", "megatron").data
        except ConfigError:
            continue
        if not is_gpt_preset(data):
            continue
        fam = preset_family(name, data)
        overrides = needed_overrides(implied_values(mapping, data)[0], data)
        match = fam == family
        related = bool(fam) and not match and related_families(fam, family)
        if name == OPTION_A:
            reason = f"generic base (Option A): {len(overrides)} keys to set"
        elif match:
            reason = f"same family ({family}): {len(overrides)} keys to override"
        elif related:
            reason = f"related family ({fam}): {len(overrides)} keys to override"
        else:
            reason = f"{'family ' + fam if fam else 'unknown family'}: {len(overrides)} keys to override"
        out.append(BaseCandidate(name=name, family_match=match, overrides=overrides, reason=reason))
        tiers[name] = 0 if match else 1 if related else 2
    out.sort(key=lambda c: (tiers[c.name], len(c.overrides), c.name))
    for cand in out:
        if cand.name == OPTION_A:
            cand.option = "A"
    closest = next((c for c in out if tiers[c.name] < 2 and c.name != OPTION_A), None)
    if closest is not None:
        closest.option = "B"
        closest.reason = "closest model (Option B), " + closest.reason
    return out


def _maybe_related(name_families: tuple[str, ...], family: str) -> bool:
    """Could a preset of one of `name_families` (its name only says which) be same or related family?"""
    return any(f == family or related_families(f, family) for f in name_families)


def default_base(candidates: list[BaseCandidate]) -> str:
    """Option B when the tree has a preset of the model's family, else Option A."""
    for option in ("B", "A"):
        for cand in candidates:
            if cand.option == option:
                return cand.name
    return candidates[0].name if candidates else OPTION_A
