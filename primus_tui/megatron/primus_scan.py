"""The Primus half of the registry: keys Primus reads beyond Megatron's dests, and model scopes.

The rules are Primus's own (`primus/core/config/schema_check.py`, which its CI runs), so a key
counts as read here exactly when Primus's check accepts it:
- names read off an args/cfg/config-shaped object, or spelled as a non-ALL_CAPS identifier
  string, anywhere in `primus/backends/megatron` (reads go through getters, env bridges and
  generated code, so Primus chose the broad rule);
- fields of Primus dataclasses that extend TransformerConfig / MLATransformerConfig;
- `tools/ci/config_schema_allowlist.yaml` (`common` and `megatron`), Primus's documented list
  of what AST cannot see (experiment envelope, logging levels).
A field only one model's config class declares, and that nothing reads off `args`, is scoped
to the `model_type` whose `get_model_provider` branch builds that class.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Iterable

import yaml

from primus_tui.megatron.pysource import calls_named, keyword, literal

BACKEND_PACKAGE = Path("primus/backends/megatron")
PRIMUS_PACKAGE = Path("primus")
ALLOWLIST = Path("tools/ci/config_schema_allowlist.yaml")
SCHEMA_CHECK = Path("primus/core/config/schema_check.py")
MODEL_PROVIDER = (Path("primus/core/utils/import_utils.py"), "get_model_provider", "model_type")
CONFIG_BASES = frozenset({"TransformerConfig", "MLATransformerConfig"})
ARGS_HINTS = ("arg", "cfg", "config")


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None


def _python_files(root: Path, package: Path) -> list[tuple[str, ast.Module]]:
    out = []
    for py in sorted((root / package).rglob("*.py")):
        tree = _parse(py)
        if tree is not None:
            out.append((py.relative_to(root).as_posix(), tree))
    return out


def _holder_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Call):
        node = node.func
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)


def _looks_like_args(node: ast.expr, hints: tuple[str, ...]) -> bool:
    name = _holder_name(node)
    return bool(name) and any(h in name.lower() for h in hints)


def backend_reads(files: list[tuple[str, ast.Module]]) -> dict[str, set[str]]:
    """`schema_check.extract_args_read_rules`: key -> files of the Megatron backend reading it."""
    reads: dict[str, set[str]] = {}
    for rel, tree in files:
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _looks_like_args(node.value, ARGS_HINTS):
                name = node.attr
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                name = node.value
            else:
                continue
            # An ALL_CAPS literal is a constant or an environment variable, never an argument.
            if name.isidentifier() and name != name.upper():
                reads.setdefault(name, set()).add(rel)
    return reads


def _bases(node: ast.ClassDef) -> set[str]:
    return {ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases}


def _fields(node: ast.ClassDef) -> set[str]:
    return {s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}


def config_classes(files: list[tuple[str, ast.Module]]) -> dict[str, tuple[str, ast.ClassDef]]:
    """Primus classes extending Megatron's config classes, grown to a fixpoint (chains are long)."""
    classes: dict[str, tuple[str, ast.ClassDef]] = {}
    for rel, tree in files:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                classes[node.name] = (rel, node)
    derived: set[str] = set()
    frontier = set(CONFIG_BASES)
    while frontier:
        frontier = {n for n, (_, c) in classes.items() if n not in derived and _bases(c) & (frontier | derived)}
        derived |= frontier
    return {n: classes[n] for n in sorted(derived)}


def allowlist(root: Path) -> list[dict[str, str]]:
    """Primus's hand-written allowlist entries for Megatron (scopes `common` and `megatron`)."""
    path = root / ALLOWLIST
    if not path.is_file():
        # Without it the envelope keys (work_group, ...) would silently read as unknown.
        raise ValueError(f"{path} is missing (extract Primus's tools/ci too)")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries = []
    for scope in ("common", "megatron"):
        for entry in data.get(scope) or []:
            entries.append({"key": str(entry["key"]), "consumer": str(entry.get("consumer", "")).split(":", 1)[0]})
    return entries


def reserved_keys(root: Path) -> list[str]:
    """`MODULE_RESERVED_KEYS` of Primus's schema check: keys the parser consumes on the module node."""
    tree = _parse(root / SCHEMA_CHECK)
    for node in tree.body if tree else []:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "MODULE_RESERVED_KEYS" for t in node.targets):
            value = node.value
            inner = value.args[0] if isinstance(value, ast.Call) and value.args else value
            found = literal(inner)
            if isinstance(found, (set, frozenset, list, tuple)):
                return sorted(found)
    raise ValueError(f"{root / SCHEMA_CHECK}: no literal MODULE_RESERVED_KEYS")


def args_namespace_reads(files: list[tuple[str, ast.Module]]) -> set[str]:
    """Names read off an *argument* namespace anywhere in primus/: evidence a key is model-agnostic."""
    names: set[str] = set()
    for _, tree in files:
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _looks_like_args(node.value, ("arg",)):
                names.add(node.attr)
            elif isinstance(node, ast.Call) and len(node.args) >= 2 and getattr(node.func, "id", None) in (
                "getattr",
                "setattr",
                "hasattr",
            ):
                target = node.args[1]
                if _looks_like_args(node.args[0], ("arg",)) and isinstance(target, ast.Constant):
                    names.add(str(target.value))
    return names


def model_branches(root: Path) -> dict[str, str]:
    """`get_model_provider`'s `model_type == "<value>"` branches that import a Primus module."""
    path, func_name, key = MODEL_PROVIDER
    tree = _parse(root / path)
    body = tree.body if tree else []
    func = next((n for n in body if isinstance(n, ast.FunctionDef) and n.name == func_name), None)
    branches: dict[str, str] = {}
    for node in ast.walk(func) if func else []:
        test = node.test if isinstance(node, ast.If) else None
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
            continue
        right = test.comparators[0]
        if not (isinstance(test.left, ast.Name) and test.left.id == key and isinstance(right, ast.Constant)):
            continue
        for stmt in node.body:
            for call in calls_named(stmt, "import_module"):
                if call.args and isinstance(call.args[0], ast.Constant):
                    branches[str(right.value)] = str(call.args[0].value)
    return branches


def _config_class_of(root: Path, module: str) -> str | None:
    tree = _parse(root / (module.replace(".", "/") + ".py"))
    for call in calls_named(tree, "core_transformer_config_from_args") if tree else []:
        node = keyword(call, "config_class")
        if isinstance(node, ast.Name):
            return node.id
    return None


def model_scopes(
    root: Path,
    classes: dict[str, tuple[str, ast.ClassDef]],
    upstream: set[str],
    agnostic: set[str],
    vouched: set[str],
) -> dict[str, list[str]]:
    """`schema_check.extract_model_scopes`: key -> the model_types whose config class alone declares it."""
    owners: dict[str, str] = {}
    for value, module in sorted(model_branches(root).items()):
        cls = _config_class_of(root, module)
        if cls in classes:
            owners[cls] = value
    claims: dict[str, set[str | None]] = {}
    for name, (_, node) in classes.items():
        for field in _fields(node):
            claims.setdefault(field, set()).add(owners.get(name))
    scoped: dict[str, set[str]] = {}
    for cls, value in owners.items():
        frontier, seen = {cls}, set()
        while frontier:
            name = frontier.pop()
            if name in seen or name not in classes:
                continue
            seen.add(name)
            node = classes[name][1]
            for field in _fields(node):
                if claims.get(field) == {value} and field not in upstream | agnostic | vouched:
                    scoped.setdefault(field, set()).add(value)
            frontier |= _bases(node)
    return {k: sorted(v) for k, v in sorted(scoped.items())}


def _module_literals(tree: ast.Module) -> dict[str, list[Any]]:
    """Module-level `NAME = {literal collection}` assignments."""
    found: dict[str, list[Any]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = literal(node.value)
            if isinstance(value, (set, frozenset, list, tuple)):
                found[node.targets[0].id] = sorted(value, key=str)
    return found


def choice_extensions(files: list[tuple[str, ast.Module]]) -> dict[str, list[Any]]:
    """Choices Primus adds to a Megatron dest: a function that finds the action by
    `<action>.dest == "<dest>"` and assigns `<action>.choices = ...` from a module-level
    literal (`_add_tokenizer_args` widens tokenizer_type by CUSTOM_TOKENIZER_TYPES)."""
    extra: dict[str, set[Any]] = {}
    for _, tree in files:
        constants = _module_literals(tree)
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            dests = [
                str(n.comparators[0].value)
                for n in ast.walk(func)
                if isinstance(n, ast.Compare)
                and isinstance(n.left, ast.Attribute)
                and n.left.attr == "dest"
                and isinstance(n.comparators[0], ast.Constant)
            ]
            for node in ast.walk(func):
                targets = node.targets if isinstance(node, ast.Assign) else []
                if not any(getattr(t, "attr", None) == "choices" for t in targets):
                    continue
                named = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and n.id in constants}
                for dest in dests:
                    for name in named:
                        extra.setdefault(dest, set()).update(constants[name])
    return {k: sorted(v, key=str) for k, v in sorted(extra.items())}


def extract_primus(root: Path, upstream: Iterable[str], dests: Iterable[str]) -> dict[str, Any]:
    """The Primus half of the registry from a Primus source root (`upstream`: Megatron's keys)."""
    if not (root / BACKEND_PACKAGE).is_dir():
        raise ValueError(f"{root}: not a Primus source tree (no {BACKEND_PACKAGE})")
    backend = _python_files(root, BACKEND_PACKAGE)
    reads = backend_reads(backend)
    classes = config_classes(backend)
    for name, (rel, node) in classes.items():
        for field in _fields(node):
            reads.setdefault(field, set()).add(rel)
    entries = allowlist(root)
    for entry in entries:
        reads.setdefault(entry["key"], set()).add(entry["consumer"])
    agnostic = args_namespace_reads(_python_files(root, PRIMUS_PACKAGE))
    scoped = model_scopes(root, classes, set(upstream), agnostic, {e["key"] for e in entries})
    dest_set = set(dests)
    return {
        "reads": {k: sorted(v) for k, v in sorted(reads.items()) if k not in dest_set},
        "model_scoped": scoped,
        "config_classes": {name: rel for name, (rel, _) in classes.items()},
        "reserved": reserved_keys(root),
        "choices": choice_extensions(backend),
    }
