"""Model keys that the module preset silently beats (Primus precedence)."""

from __future__ import annotations


def model_shadow_warnings(model_yaml_fields: dict, tree, module_config: str = "pre_trainer.yaml") -> list[str]:
    raise NotImplementedError
