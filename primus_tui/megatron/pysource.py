"""Read Python source trees by AST: parse cache, import resolution, literal values.

Megatron's config dataclasses arrive through re-exports and inherit across packages, so a flat
class index is not faithful; this follows `from X import Y` the way Python would (as Primus's
`schema_check._MegatronSource` does), without importing anything.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Iterator

NOT_LITERAL = object()


class PySource:
    """One source root (the folder that holds the top-level package)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._trees: dict[Path, ast.Module] = {}

    def tree(self, path: Path) -> ast.Module:
        if path not in self._trees:
            self._trees[path] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        return self._trees[path]

    def module_file(self, module: str) -> Path | None:
        rel = module.replace(".", "/")
        for candidate in (self.root / f"{rel}.py", self.root / rel / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def imports(self, path: Path) -> dict[str, str]:
        """`local name -> absolute module` for every `from X import name` (function-local too)."""
        parts = list(path.relative_to(self.root).parts[:-1])
        found: dict[str, str] = {}
        for node in ast.walk(self.tree(path)):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = node.module or ""
            if node.level:
                base = parts[: len(parts) - node.level + 1]
                module = ".".join([*base, module]) if module else ".".join(base)
            for alias in node.names:
                found[alias.asname or alias.name] = module
        return found

    def resolve(self, path: Path, name: str, seen: frozenset[str] = frozenset()) -> tuple[Path, ast.ClassDef] | None:
        """Class `name` as visible from `path`, with the file that defines it."""
        for node in self.tree(path).body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                return path, node
        module = self.imports(path).get(name)
        if module is None or module in seen:
            return None
        target = self.module_file(module)
        return self.resolve(target, name, seen | {module}) if target else None

    def function(self, path: Path, name: str) -> ast.FunctionDef:
        for node in self.tree(path).body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return node
        raise ValueError(f"{path}: no function {name}()")

    def is_enum(self, path: Path, cls: ast.ClassDef, depth: int = 0) -> bool:
        """True when `cls` derives from enum.Enum (directly or through a resolvable base)."""
        for base in cls.bases:
            name = ast.unparse(base).rsplit(".", 1)[-1]
            if name in ("Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"):
                return True
            found = self.resolve(path, name) if depth < 5 else None
            if found and self.is_enum(*found, depth=depth + 1):
                return True
        return False


def called_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def calls_named(tree: ast.AST, name: str) -> Iterator[ast.Call]:
    """Every call whose callee is spelled `name` or `<something>.name`, in source order."""
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and called_name(n) == name]
    return iter(sorted(found, key=lambda n: (n.lineno, n.col_offset)))


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def literal(node: ast.expr | None) -> Any:
    """The value of a literal expression, or NOT_LITERAL."""
    if node is None:
        return NOT_LITERAL
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return NOT_LITERAL


def json_value(value: Any, node: ast.expr | None) -> Any:
    """A JSON-safe rendering of a default: the literal itself, else `{"expr": source}`."""
    if value is NOT_LITERAL:
        return {"expr": ast.unparse(node)} if node is not None else None
    if isinstance(value, tuple):
        return [json_value(v, None) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(json_value(v, None) for v in value)
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return {"expr": "float('nan')"}
    if isinstance(value, (list, dict, str, int, float, bool)) or value is None:
        return value
    return {"expr": repr(value)}


def string_elements(node: ast.expr | None) -> set[str] | None:
    """String constants of a literal list/tuple/set; None if not one."""
    if not isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return None
    return {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}


def attribute_reads(node: ast.AST, obj: str) -> list[str]:
    """Names read as `obj.X`, plus getattr/hasattr(obj, "X"), in source order, unique."""
    names: list[str] = []
    for sub in sorted(
        (n for n in ast.walk(node) if isinstance(n, (ast.Attribute, ast.Call))),
        key=lambda n: (n.lineno, n.col_offset),
    ):
        name = None
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == obj:
            name = sub.attr
        elif isinstance(sub, ast.Call) and called_name(sub) in ("getattr", "hasattr") and len(sub.args) >= 2:
            first, second = sub.args[0], sub.args[1]
            if isinstance(first, ast.Name) and first.id == obj and isinstance(second, ast.Constant):
                name = str(second.value)
        if name and name not in names:
            names.append(name)
    return names
