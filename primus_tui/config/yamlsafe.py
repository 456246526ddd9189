"""Render, then prove: comments that cannot break a line, and a parse-back check of generated YAML.

Why: names, paths and HF strings are spliced into generated files; a newline in a comment or an
unquoted key can inject a real key. Every generated file is parsed back and must hold exactly the
intended keys and values before it is written.
"""

from __future__ import annotations

import math
import re

import yaml

from primus_tui.config.errors import ConfigError

# C0/C1 controls, DEL, and YAML's extra line breaks (NEL, LS, PS) never survive into a comment.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]")


def comment(text: object) -> str:
    """`text` made safe for a `# ...` comment: control characters become visible escapes."""
    return _UNSAFE.sub(lambda m: repr(m.group())[1:-1] if m.group() != "\n" else "\\n", str(text))


def has_control(text: str) -> bool:
    return bool(_UNSAFE.search(text))


def _finite(value: object, where: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: {value!r} is not a finite number; refusing to write it")
    if isinstance(value, dict):
        for key, item in value.items():
            _finite(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _finite(item, f"{where}[{i}]")


def prove(text: str, expected: dict, display: str, *, subset: bool = False) -> None:
    """Parse `text` back: its top-level mapping must equal `expected` (only its keys if `subset`)."""
    _finite(expected, "")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"generated YAML does not parse back ({str(exc).splitlines()[0]}); nothing written",
                          display) from None
    if not isinstance(data, dict):
        raise ConfigError("generated YAML is not a mapping when parsed back; nothing written", display)
    want = dict(expected)
    got = {k: data[k] for k in want if k in data} if subset else data
    if set(got) != set(want):
        extra, missing = sorted(map(str, set(got) - set(want))), sorted(map(str, set(want) - set(got)))
        raise ConfigError(f"generated YAML parses back with other keys (extra {extra}, missing {missing}); "
                          "nothing written", display)
    for key, value in want.items():
        if got[key] != value or type(got[key]) is not type(value):
            raise ConfigError(f"generated YAML parses {key!r} back as {got[key]!r}, not {value!r}; nothing written",
                              display)
