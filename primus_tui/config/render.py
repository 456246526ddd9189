"""Render a resolved module as YAML or JSON, optionally with each key's source."""

from __future__ import annotations

import json

import yaml

from primus_tui.config.merge import flatten
from primus_tui.config.source import Sources
from primus_tui.config.yamlsafe import comment


class _Dumper(yaml.SafeDumper):
    pass


def dump_yaml(data: object) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000)


def scalar_yaml(value: object) -> str:
    """One value as inline YAML (`null`, `1.0e-05`, `[a, b]`)."""
    text = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, width=10_000, allow_unicode=True)
    text = text.strip()
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return text.removesuffix("...").strip()


def render_yaml(values: dict, sources: Sources | None = None) -> str:
    if sources is None:
        return dump_yaml(values)
    flat = flatten(values)
    width = max((len(k) + len(scalar_yaml(v)) for k, v in flat.items()), default=0) + 3
    lines = []
    for key, value in flat.items():
        text = f"{comment(key)}: {scalar_yaml(value)}"  # a key or file name with a newline stays on its line
        src = sources.get(key)
        lines.append(f"{text.ljust(width)}# {comment(src)}" if src else text)
    return "\n".join(lines) + "\n"


def render_json(values: dict, sources: Sources | None = None) -> str:
    if sources is None:
        return json.dumps(values, indent=2, default=str) + "\n"
    flat = flatten(values)
    out = {k: {"value": v, "source": sources[k].to_dict() if k in sources else None} for k, v in flat.items()}
    return json.dumps(out, indent=2, default=str) + "\n"
