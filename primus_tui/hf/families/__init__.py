"""HF families: one object per model_type (`base.Family` explains the design), one table (`registry`).

    family_for("qwen2").build(config_dict).finish()   # the Megatron mapping
    family_for("qwen2").hf_body(...)                  # its HF parameter count rules
"""

from primus_tui.hf.families.base import Family, PresetOnly
from primus_tui.hf.families.registry import FAMILIES, family_for, map_family, preset_families, preset_family, related

__all__ = ["FAMILIES", "Family", "PresetOnly", "family_for", "map_family", "preset_families", "preset_family", "related"]
