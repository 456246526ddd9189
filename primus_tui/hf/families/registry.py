"""The one table of HF families (model_type -> family object) and the questions asked of it.

Each shape module lists its families in `FAMILIES`; this module only collects them. Nothing
outside the family objects compares a family name with a literal: ask `family_for(...)`, or use
`preset_family` / `related` here.
"""

from __future__ import annotations

from primus_tui.hf.builder import Builder
from primus_tui.hf.families import llama, mla, moe, refused
from primus_tui.hf.families.base import Family, PresetOnly

FAMILIES: dict[str, Family] = {f.name: f for module in (llama, moe, mla, refused) for f in module.FAMILIES}
_PRESET_OWNERS: tuple[Family | PresetOnly, ...] = (*FAMILIES.values(), *refused.PRESETS_ONLY)


def family_for(model_type: str) -> Family:
    """The family object of `model_type`; an unknown one is refused, naming the supported ones."""
    fam = FAMILIES.get(model_type)
    if fam is not None:
        return fam
    supported = ", ".join(sorted(k for k, f in FAMILIES.items() if f.supported))
    return refused.Refused(model_type, refusal=f"no verified mapping for model_type {model_type!r} (supported: {supported})")


def map_family(data: dict) -> Builder:
    """The Builder of `data` (a config.json dict with a model_type), filled by its family."""
    return family_for(data["model_type"]).build(data)


def preset_families(name: str) -> tuple[str, ...]:
    """Families whose presets the file `name` may be (longest matching prefix; dense and MoE
    variants may share one, e.g. qwen3 / qwen3_moe)."""
    stem = name.removesuffix(".yaml")
    prefixes = sorted({p for owner in _PRESET_OWNERS for p in owner.preset_prefixes if stem.startswith(p)}, key=len)
    if not prefixes:
        return ()
    return tuple(owner.name for owner in _PRESET_OWNERS if prefixes[-1] in owner.preset_prefixes)


def preset_family(name: str, data: dict) -> str | None:
    """The HF model family a preset file describes, from its name (and, where a dense and a MoE
    family share the name prefix, from whether the preset sets num_experts)."""
    names = preset_families(name)
    if len(names) <= 1:
        return names[0] if names else None
    moe_preset = bool(data.get("num_experts"))
    owners = {o.name: o for o in _PRESET_OWNERS}
    return next((n for n in names if owners[n].is_moe == moe_preset), names[0])


def related(a: str | None, b: str | None) -> bool:
    """Different families whose models have the same network shape (e.g. mistral and llama)."""
    if not a or not b or a == b:
        return False
    owners = {o.name: o for o in _PRESET_OWNERS}
    return getattr(owners.get(a), "related_to", None) == b or getattr(owners.get(b), "related_to", None) == a
