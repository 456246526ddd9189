"""CLI `key=value` / `--key value` overrides, parsed like Primus's train runtime ("modern" mode)."""

from __future__ import annotations

import ast
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
            else:
                value = "true"
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
        node[parts[-1]] = coerce(raw)
    return result
