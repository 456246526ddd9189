"""Deep merge with provenance, the same rule as Primus's `merge_utils.deep_merge`.

The override wins; two dicts merge recursively; anything else is replaced whole.
Sources travel in a tree of the same shape, so merging stays linear.
"""

from __future__ import annotations

import copy

from primus_tui.config.source import Source, SourceTree


def deep_merge(base: dict, base_src: SourceTree, override: dict, override_src: SourceTree) -> tuple[dict, SourceTree]:
    """Return (merged, sources); inputs are not modified."""
    result = copy.deepcopy(base)
    sources = _copy_tree(base_src)
    _merge_into(result, sources, override, override_src)
    return result, sources


def _copy_tree(tree: SourceTree) -> SourceTree:
    return {k: _copy_tree(v) if isinstance(v, dict) else v for k, v in tree.items()}


def _merge_into(result: dict, sources: SourceTree, override: dict, override_src: SourceTree) -> None:
    for key, value in override.items():
        sub_src = override_src.get(key) if isinstance(override_src, dict) else None
        if key in result and isinstance(result[key], dict) and isinstance(value, dict):
            current = sources.get(key)
            if not isinstance(current, dict):
                current = sources[key] = {}
            _merge_into(result[key], current, value, sub_src if isinstance(sub_src, dict) else {})
            if not result[key]:
                sources[key] = sub_src if sub_src is not None else sources.get(key)
        else:
            previous = sources.get(key)
            if key in result and isinstance(previous, Source) and isinstance(sub_src, Source) and not isinstance(result[key], dict):
                sub_src = sub_src.over(result[key], previous)
            result[key] = copy.deepcopy(value)
            if sub_src is None:
                sources.pop(key, None)
            else:
                sources[key] = _copy_tree(sub_src) if isinstance(sub_src, dict) else sub_src


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
