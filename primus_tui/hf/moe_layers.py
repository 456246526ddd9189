"""Megatron's `moe_layer_freq`: which layers are MoE, as an int or a list expression string.

Megatron reads an int N as "layer i is MoE when i % N == 0" and a string as a Python list
expression such as "([0]*1+[1]*26)" (Primus presets use that form).
"""

from __future__ import annotations

import ast
from itertools import groupby


def freq_value(flags: list[int]) -> int | str:
    """The shortest faithful `moe_layer_freq` for per-layer MoE flags (1 = MoE layer)."""
    n = len(flags)
    if n and all(flags):
        return 1
    for period in range(2, n):
        if n % period == 0 and flags == flags[:period] * (n // period):
            if flags[:period] == [1] + [0] * (period - 1):
                return period
            return f"({flags[:period]!r}*{n // period})".replace(" ", "")
    return "(" + "+".join(f"[{v}]*{len(list(g))}" for v, g in groupby(flags)) + ")"


def parse_freq(value: object) -> object:
    """An int or list for a Megatron frequency value given as a string ("2", "([0]*1+[1]*26)").

    Other values are returned unchanged; None when the string cannot be read.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return int(text)
        try:
            return _eval_list(ast.parse(text, mode="eval").body)
        except (ValueError, SyntaxError, TypeError):
            return None
    return value


def expand_freq(value: object, num_layers: int) -> list[int] | None:
    """Per-layer flags for a `moe_layer_freq` value; None when it cannot be read."""
    value = parse_freq(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return [int(i % value == 0) for i in range(num_layers)] if value > 0 else None
    if isinstance(value, list) and all(v in (0, 1) for v in value):
        return [int(v) for v in value]
    return None


def _eval_list(node: ast.AST) -> object:
    """Evaluate list/int literals with + and * only (what Megatron's moe_freq_type accepts in practice)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.List):
        return [_eval_list(e) for e in node.elts]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
        left, right = _eval_list(node.left), _eval_list(node.right)
        return left + right if isinstance(node.op, ast.Add) else left * right
    raise ValueError("unsupported expression")
