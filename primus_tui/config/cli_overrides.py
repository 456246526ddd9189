"""CLI `key=value` / `--key value` overrides, parsed like Primus's train runtime ("modern" mode)."""

from __future__ import annotations

import ast
import math
import re

from primus_tui.config.errors import ConfigError

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z_][A-Za-z0-9_\-]*)*")


def coerce(raw: str) -> object:
    """bool / literal (None, list, dict, tuple) / float (has a '.') / int / string."""
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if raw == "None" or raw[:1] in "[({":
        try:
            return ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            pass
    if "." in raw:
        try:
            return float(raw)
        except ValueError:
            pass
    try:
        return int(raw)
    except ValueError:
        return raw


def normalize(tokens: list[str]) -> list[tuple[str, str]]:
    """Tokens -> (key, raw value); a malformed token is an error, not a silent skip."""
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        item = str(tokens[i]).strip()
        i += 1
        if not item:
            continue
        if "=" in item:
            key, value = item.split("=", 1)
            key = key.lstrip("-").strip()
        elif item.startswith("--"):
            key = item.lstrip("-")
            if i < len(tokens) and not str(tokens[i]).startswith("--"):
                value = str(tokens[i])
                i += 1
            elif _arg_type(key.split(".")[-1]) in (None, "bool"):  # a flag (or a Primus-only key): true
                value = "true"
            else:  # `--lr` with nothing after it is a forgotten value, not `true`
                raise ConfigError(f"CLI override {item!r} needs a value ({_arg_type(key.split('.')[-1])}): "
                                  f"{item} VALUE or {key}=VALUE")
        else:
            raise ConfigError(f"malformed CLI override {item!r}: expected key=value or --key value")
        if not _KEY.fullmatch(key):
            raise ConfigError(f"malformed CLI override {item!r}: {key!r} is not a config key")
        pairs.append((key, value.strip()))
    return pairs


def parse_cli_overrides(tokens: list[str]) -> dict:
    """Nested dict of overrides; dotted keys nest (`a.b=1` -> {'a': {'b': 1}})."""
    result: dict = {}
    for key, raw in normalize(tokens):
        parts = key.split(".")
        node = result
        for depth, part in enumerate(parts[:-1]):
            if part not in node:
                node[part] = {}
            elif not isinstance(node[part], dict):
                # Primus indexes into the earlier value and fails (TypeError); so do we, in one line.
                earlier = ".".join(parts[: depth + 1])
                raise ConfigError(f"CLI override {key!r} goes under {earlier!r}, which an earlier override set to "
                                  f"{node[part]!r}, not a mapping")
            node = node[part]
        node[parts[-1]] = check_type(parts[-1], coerce(raw), raw)
    return result


_SCALAR = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str, int, float, bool)}


def _registry_arg(key: str):
    try:
        from primus_tui.megatron.registry import load_registry  # lazy: the registry is data, read once

        return load_registry().args.get(key)
    except Exception:  # no registry: Primus's untyped behaviour
        return None


def _arg_type(key: str) -> str | None:
    arg = _registry_arg(key)
    return getattr(arg, "type", None) if arg is not None else None


def check_type(key: str, value: object, raw: str) -> object:
    """A Megatron argument's override must have the registry's type (and be finite); others pass."""
    arg = _registry_arg(key)
    kind = getattr(arg, "type", None) if arg is not None else None
    if kind not in _SCALAR or value is None:
        return value
    items = value if isinstance(value, (list, tuple)) and getattr(arg, "nargs", None) else [value]
    for item in items:
        ok = isinstance(item, _SCALAR[kind]) and (kind == "bool" or not isinstance(item, bool) or kind == "str")
        if isinstance(item, float) and not math.isfinite(item):
            raise ConfigError(f"CLI override {key}={raw}: must be a finite number")
        if not ok:
            raise ConfigError(f"CLI override {key}={raw}: {key} takes {'a number' if kind == 'float' else 'an ' + kind if kind == 'int' else kind}"
                              f", got {type(item).__name__} {item!r}"
                              + (" (write floats with a '.', e.g. 1.0e-4)" if kind == "float" and isinstance(item, str) else ""))
    return value
