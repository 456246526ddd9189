"""Load one YAML file into plain data plus the line of every leaf key.

Env substitution happens here, per file, before `extends` is applied, which
is the order Primus's `parse_yaml` uses.

Primus parses with PyYAML's pure-Python `SafeLoader`. libyaml (`CSafeLoader`) is ~10x
faster and builds the same data, except where the two scanners disagree: a tab used as
separation (`lr: 1e-5\t# note`, a trailing tab), a byte-order mark after the start, a simple
key longer than 1024 characters (the pure scanner rejects the first and last, libyaml
accepts them). Texts with any of those go through the pure-Python loader, as in Primus.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import yaml

from primus_tui.config.envsubst import MissingEnvVar, substitute
from primus_tui.config.errors import ConfigError
from primus_tui.config.limits import LimitExceeded, load_bounded, read_bounded
from primus_tui.config.source import Source, SourceTree


class _LineLoader(yaml.SafeLoader):
    """Primus's loader (pure-Python SafeLoader) that remembers the line of each mapping key."""


class _FastLineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same on libyaml, for texts where libyaml and the pure scanner agree."""


def _needs_pure_loader(text: str) -> bool:
    """True where libyaml and PyYAML's pure scanner may disagree (see the module docstring)."""
    return "\t" in text or "\ufeff" in text or any(len(line) > 1000 for line in text.split("\n"))


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)  # flattens `<<` merges too
    lines = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            lines[key] = key_node.start_mark.line + 1
        except TypeError:  # unhashable key: PyYAML raised already for the mapping
            pass
    loader.key_lines[id(mapping)] = (mapping, lines)
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_FastLineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@lru_cache(maxsize=512)
def parse_text(text: str) -> tuple[object, dict]:
    """(raw data, {id(mapping): (mapping, {key: line})}); cached on the text, never mutated."""
    key_lines: dict = {}

    def prepare(loader) -> None:
        loader.key_lines = key_lines

    data = load_bounded(_LineLoader if _needs_pure_loader(text) else _FastLineLoader, text, prepare)
    return data, key_lines


def read_text(path: Path) -> str:
    try:
        return read_bounded(path)
    except LimitExceeded as exc:
        raise ConfigError(str(exc), str(path)) from None
    except FileNotFoundError:
        raise ConfigError("file not found", str(path)) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a YAML file", str(path)) from None
    except PermissionError:
        raise ConfigError("permission denied", str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("not a UTF-8 text file", str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read ({exc.strerror or exc})", str(path)) from None


def load_yaml_file(path: Path, display: str | None = None) -> tuple[dict, SourceTree]:
    """Parse `path`; return (data with env substituted, source tree)."""
    shown = display or str(path)
    text = read_text(path)
    try:
        data, key_lines = parse_text(text)
    except LimitExceeded as exc:
        raise ConfigError(f"{exc} (primus-tui's YAML input limit)", shown) from None
    except RecursionError:
        raise ConfigError("nested too deeply to parse", shown) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise ConfigError(f"YAML syntax error at {where}{problem}", shown) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {str(exc).splitlines()[0]}", shown) from None
    if data is None:
        raise ConfigError("YAML file is empty", shown)
    if not isinstance(data, dict):
        raise ConfigError(f"expected a mapping at the top level, got {type(data).__name__}", shown)

    try:
        sources: SourceTree = {}
        data = _walk_mapping(data, shown, key_lines, sources, None)
    except MissingEnvVar as exc:
        raise ConfigError(str(exc), shown) from None
    return data, sources


def _walk_mapping(value: dict, file: str, key_lines: dict, sources: SourceTree, line: int | None) -> dict:
    entry = key_lines.get(id(value))
    lines = entry[1] if entry and entry[0] is value else {}
    out = {}
    for key, item in value.items():
        item_line = lines.get(key, line)
        if isinstance(item, dict) and item:
            child: SourceTree = {}
            out[key] = _walk_mapping(item, file, key_lines, child, item_line)
            sources[key] = child
        else:
            used: list[str] = []
            out[key] = _substitute_deep(item, used)
            sources[key] = Source("file", file, item_line, tuple(used))
    return out


def _substitute_deep(value, used: list[str]):
    """Env substitution in scalars and inside lists (Primus walks lists too)."""
    if isinstance(value, dict):
        return {k: _substitute_deep(v, used) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute_deep(v, used) for v in value]
    if isinstance(value, str):
        result, names = substitute(value)
        used.extend(names)
        return result
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return copy.deepcopy(value)  # e.g. !!set / !!omap: Primus leaves them as parsed; never share the cache's
