"""Render the generated Primus model YAML: stable, commented, byte-identical on re-run."""

from __future__ import annotations


def render_model_yaml(mapping, base: str, tree, *, name: str, hf=None, extra: dict | None = None) -> str:
    raise NotImplementedError
