"""`${VAR}` / `${VAR:default}` substitution, exactly as Primus's yaml_loader does it.

A string that had a substitution becomes bool/int/float when the result looks
like one; a string without substitution stays a string even if it looks numeric.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

ENV_PATTERN = re.compile(r"\${([^:{}]+)(?::([^}]*))?}")
FLOAT_PATTERN = re.compile(r"^-?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)$")
INT_PATTERN = re.compile(r"-?\d+")
_BOOLS = {"true": True, "false": False}


class MissingEnvVar(Exception):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"environment variable ${{{name}}} is required but not set")


def substitute(text: str, environ: Mapping[str, str] | None = None) -> tuple[object, tuple[str, ...]]:
    """Return (value, names of env vars that were read)."""
    env = os.environ if environ is None else environ
    used: list[str] = []

    def replace(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        used.append(name)
        if default is None:
            if name not in env:
                raise MissingEnvVar(name)
            return env[name]
        return env.get(name, default)

    replaced = ENV_PATTERN.sub(replace, text)
    if replaced == text:
        return text, tuple(used)
    return to_scalar(replaced), tuple(used)


def to_scalar(text: str) -> object:
    """bool, int or float when the whole string is one; else the string."""
    lowered = text.lower()
    if lowered in _BOOLS:
        return _BOOLS[lowered]
    if INT_PATTERN.fullmatch(text):
        return int(text)
    if FLOAT_PATTERN.fullmatch(text):
        try:
            return float(text)
        except ValueError:
            return text
    return text
