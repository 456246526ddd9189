"""Model keys that the module preset silently beats (Primus precedence).

Primus merges a module preset (pre_trainer.yaml chain) over the model preset: a model key only
takes effect when the module preset lacks it. So `seq_length: 4096` in a model file loses to
pre_trainer.yaml's `seq_length: 1024` without a word; the fix is the experiment's `overrides`.
"""

from __future__ import annotations

from primus_tui.hf.presets import same


def model_shadow_warnings(model_yaml_fields: dict, tree, module_config: str = "pre_trainer.yaml") -> list[str]:
    """One line per generated model key whose value the module preset replaces."""
    module = tree.load_preset(module_config, "modules", "megatron")
    out: list[str] = []
    for key, value in model_yaml_fields.items():
        if key in ("extends",) or key not in module.data:
            continue
        module_value = module.data[key]
        if same(key, module_value, value):
            continue
        source = module.sources.get(key)
        where = str(source) if source is not None else module_config
        out.append(
            f"{key}: the model file sets {value!r} but the module preset sets {module_value!r} ({where}) and wins; "
            f"set `{key}: {value!r}` under modules.pre_trainer.overrides in the experiment YAML"
        )
    return out
