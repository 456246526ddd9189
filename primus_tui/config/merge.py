"""Deep merge with provenance, the same rule as Primus's `merge_utils.deep_merge`.

The override wins; two dicts merge recursively; anything else is replaced whole.
"""

from __future__ import annotations

import copy

from primus_tui.config.source import Sources, drop_subtree, prefixed, subtree


def deep_merge(
    base: dict, base_src: Sources, override: dict, override_src: Sources
) -> tuple[dict, Sources]:
    """Return (merged, sources); inputs are not modified."""
    result = copy.deepcopy(base)
    sources = dict(base_src)
    _merge_into(result, sources, override, override_src, "")
    return result, sources


def _merge_into(result: dict, sources: Sources, override: dict, override_src: Sources, prefix: str) -> None:
    for key, value in override.items():
        path = f"{prefix}{key}"
        if key in result and isinstance(result[key], dict) and isinstance(value, dict):
            _merge_into(result[key], sources, value, subtree(override_src, str(key)), path + ".")
        else:
            result[key] = copy.deepcopy(value)
            drop_subtree(sources, path)
            if str(key) in override_src:
                sources[path] = override_src[str(key)]
            sources.update(prefixed(subtree(override_src, str(key)), path))


def flatten(data: dict, prefix: str = "") -> dict[str, object]:
    """Dotted leaf paths -> values (empty dicts are leaves)."""
    out: dict[str, object] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out
