"""Derive Megatron-LM's argument universe and what reaches the network, by AST only.

Mirrors, without importing torch or megatron: `add_megatron_arguments` (literal `add_argument`
calls plus `ArgumentGroupFactory(<dataclass>, exclude=...)`, whose flag rules live in
`megatron/training/argument_utils.py`), `core_transformer_config_from_args` (copies every
`dataclasses.fields(config_class)` name present on `args`, then explicit kwargs) and
`gpt_builders.gpt_builder` (which GPTModel kwargs come from `args`, and which keep their
`__init__` defaults).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from primus_tui.megatron.pysource import (
    NOT_LITERAL,
    PySource,
    attribute_reads,
    called_name,
    calls_named,
    json_value,
    keyword,
    literal,
    string_elements,
)

ARGUMENTS = Path("megatron/training/arguments.py")
GPT_BUILDERS = Path("gpt_builders.py")
CONFIG_CLASSES = ("TransformerConfig", "MLATransformerConfig")
PRIMITIVES = {"int", "float", "str", "bool"}
BOOL_ACTIONS = {"store_true": False, "store_false": True}


class Unsupported(Exception):
    """An annotation ArgumentGroupFactory cannot turn into argparse kwargs (its TypeInferenceError)."""


def _origin(node: ast.expr) -> str:
    return ast.unparse(node).rsplit(".", 1)[-1]


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*_union_members(node.left), *_union_members(node.right)]
    return [node]


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def infer_type(src: PySource, path: Path, ann: ast.expr) -> dict[str, Any]:
    """`ArgumentGroupFactory._extract_type` on an annotation: type name, nargs, choices."""
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
        return infer_type(src, path, ast.parse(ann.value, mode="eval").body)
    if isinstance(ann, ast.Name):
        if ann.id in PRIMITIVES:
            return {"type": ann.id}
        found = src.resolve(path, ann.id)
        if found and src.is_enum(*found):
            members = [
                t.id
                for stmt in found[1].body
                if isinstance(stmt, ast.Assign)
                for t in stmt.targets
                if isinstance(t, ast.Name) and not t.id.startswith("_")
            ]
            return {"type": ann.id, "choices": members}
        return {"type": None}
    members = _union_members(ann)
    if len(members) > 1:
        if _is_none(members[1]):
            return infer_type(src, path, members[0])
        raise Unsupported(ast.unparse(ann))
    if isinstance(ann, ast.Subscript):
        origin = _origin(ann.value)
        elts = list(ann.slice.elts) if isinstance(ann.slice, ast.Tuple) else [ann.slice]
        if origin == "Optional":
            return infer_type(src, path, elts[0])
        if origin == "Union":
            if len(elts) > 1 and _is_none(elts[1]):
                return infer_type(src, path, elts[0])
            raise Unsupported(ast.unparse(ann))
        if origin in ("list", "List"):
            if len(elts) != 1:
                raise Unsupported(ast.unparse(ann))
            return {**infer_type(src, path, elts[0]), "nargs": "+"}
        if origin == "Literal":
            values = [literal(e) for e in elts]
            return {"type": type(values[0]).__name__ if values else None, "choices": values}
        raise Unsupported(ast.unparse(ann))
    return {"type": None}


def _argparse_meta(value: ast.expr | None) -> dict[str, ast.expr]:
    """`field(metadata={"argparse_meta": {...}})` -> its keys and value nodes."""
    if not (isinstance(value, ast.Call) and called_name(value) == "field"):
        return {}
    metadata = keyword(value, "metadata")
    if not isinstance(metadata, ast.Dict):
        return {}
    for key, inner in zip(metadata.keys, metadata.values):
        if isinstance(key, ast.Constant) and key.value == "argparse_meta" and isinstance(inner, ast.Dict):
            return {k.value: v for k, v in zip(inner.keys, inner.values) if isinstance(k, ast.Constant)}
    return {}


def _field_default(value: ast.expr | None) -> tuple[Any, ast.expr | None, bool]:
    """(argparse default, its node, whether `attribute.default` is a real default)."""
    if value is None:
        return None, None, False
    if isinstance(value, ast.Call) and called_name(value) == "field":
        default = keyword(value, "default")
        if default is not None:
            return literal(default), default, True
        factory = keyword(value, "default_factory")
        if isinstance(factory, ast.Name) and factory.id in ("list", "dict", "set", "tuple"):
            return {"list": [], "dict": {}, "set": [], "tuple": []}[factory.id], None, False
        if isinstance(factory, ast.Lambda):
            return literal(factory.body), factory.body, False
        return NOT_LITERAL, ast.parse(f"{ast.unparse(factory)}()", mode="eval").body if factory else None, False
    return literal(value), value, True


def _is_dataclass(cls: ast.ClassDef) -> bool:
    return any("dataclass" in ast.unparse(d) for d in cls.decorator_list)


def dataclass_fields(src: PySource, path: Path, cls: ast.ClassDef) -> dict[str, tuple[str, Path, ast.AnnAssign]]:
    """`dataclasses.fields(cls)` in order: base classes first, a redefinition keeps its slot."""
    fields: dict[str, tuple[str, Path, ast.AnnAssign]] = {}
    for base in reversed(cls.bases):
        found = src.resolve(path, _origin(base)) if isinstance(base, (ast.Name, ast.Attribute)) else None
        if found:
            fields.update(dataclass_fields(src, *found))
    if not _is_dataclass(cls):
        return fields
    for stmt in cls.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        if ast.unparse(stmt.annotation).strip("\"'").startswith(("ClassVar", "InitVar", "typing.ClassVar")):
            continue
        fields[stmt.target.id] = (cls.name, path, stmt)
    return fields


def _flag(name: str, prefix: str | None = None) -> str:
    return "--" + (f"{prefix}_{name}" if prefix else name).replace("_", "-")


def _type_name(node: ast.expr) -> str | None:
    name = ast.unparse(node)
    return name if name in PRIMITIVES else None


def factory_spec(src: PySource, name: str, declared_in: str, path: Path, stmt: ast.AnnAssign) -> dict[str, Any]:
    """`ArgumentGroupFactory._build_argparse_kwargs_from_field` for one field."""
    default, default_node, real_default = _field_default(stmt.value)
    spec: dict[str, Any] = {
        "dest": name,
        "flags": [_flag(name)],
        "type": None,
        "nargs": None,
        "default": json_value(default, default_node),
        "choices": None,
        "action": None,
        "origin": declared_in,
    }
    meta = _argparse_meta(stmt.value)
    try:
        inferred = infer_type(src, path, stmt.annotation)
        spec.update({k: v for k, v in inferred.items()})
        if inferred.get("type") == "bool":
            store_true = real_default and default is not NOT_LITERAL and default == False  # noqa: E712
            spec["action"] = "store_true" if store_true else "store_false"
            if not store_true:
                spec["flags"] = [_flag(name, "no"), _flag(name, "disable")]
    except Unsupported:
        if not meta:
            raise ValueError(f"{path}: {declared_in}.{name}: argparse cannot infer {ast.unparse(stmt.annotation)}")
    for key, node in meta.items():
        if key == "arg_names":
            spec["flags"] = list(literal(node))
        elif key == "type":
            spec["type"] = _type_name(node)
        elif key == "default":
            spec["default"] = json_value(literal(node), node)
        elif key in ("dest", "nargs", "action", "choices"):
            value = literal(node)
            spec[key] = json_value(value, node) if value is not NOT_LITERAL else None
    if spec["action"] in BOOL_ACTIONS:
        spec["type"] = "bool"
    if isinstance(spec["choices"], tuple):
        spec["choices"] = list(spec["choices"])
    return spec


def literal_spec(call: ast.Call, function: str) -> dict[str, Any] | None:
    """One literal `add_argument(...)` call as argparse records it."""
    flags = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    dest_node = keyword(call, "dest")
    if isinstance(dest_node, ast.Constant):
        dest = str(dest_node.value)
    else:
        chosen = next((f for f in flags if f.startswith("--")), None) or next(iter(flags), None)
        if chosen is None:
            return None
        dest = chosen.lstrip("-").replace("-", "_")
    action_node = keyword(call, "action")
    action = literal(action_node)
    if action is NOT_LITERAL:
        action = ast.unparse(action_node).rsplit(".", 1)[-1] if action_node is not None else None
    type_node = keyword(call, "type")
    type_name = _type_name(type_node) if type_node is not None else None
    if action in BOOL_ACTIONS or action == "BooleanOptionalAction":
        type_name = "bool"
    if action == "BooleanOptionalAction":
        flags = [*flags, *(f"--no-{f[2:]}" for f in flags if f.startswith("--"))]
    default_node = keyword(call, "default")
    if default_node is None:
        default: Any = BOOL_ACTIONS.get(action) if isinstance(action, str) else None
    else:
        default = json_value(literal(default_node), default_node)
    choices_node = keyword(call, "choices")
    choices = literal(choices_node)
    nargs = literal(keyword(call, "nargs"))
    return {
        "dest": dest,
        "flags": flags,
        "type": type_name,
        "nargs": None if nargs is NOT_LITERAL else nargs,
        "default": default,
        "choices": None if choices is NOT_LITERAL else list(choices),
        "action": action,
        "origin": f"{ARGUMENTS.name}:{function}",
    }


def _resolve_exclude(tree: ast.Module, call: ast.Call, function: ast.FunctionDef) -> set[str]:
    """The `exclude=` names of one factory call, following a local variable to its literal."""
    argument = keyword(call, "exclude")
    names = string_elements(argument)
    if names is not None or not isinstance(argument, ast.Name):
        return names or set()
    found: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == argument.id for t in node.targets):
            found |= string_elements(node.value) or set()
    return found


def _argument_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    """Functions of arguments.py in the order `add_megatron_arguments` calls them, then the rest."""
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    order: list[str] = []
    entry = defs.get("add_megatron_arguments")
    if entry is None:
        raise ValueError(f"{ARGUMENTS}: no add_megatron_arguments()")
    for node in sorted((n for n in ast.walk(entry) if isinstance(n, ast.Call)), key=lambda n: n.lineno):
        if isinstance(node.func, ast.Name) and node.func.id in defs and node.func.id not in order:
            order.append(node.func.id)
    order += [name for name in defs if name not in order]
    return [defs[name] for name in order]


def argparse_args(src: PySource) -> dict[str, dict[str, Any]]:
    """Every argparse dest of Megatron's parser -> its spec; the first registration wins, as in argparse."""
    path = src.root / ARGUMENTS
    tree = src.tree(path)
    args: dict[str, dict[str, Any]] = {}

    def add(spec: dict[str, Any]) -> None:
        dest = spec.pop("dest")
        if dest in args:
            args[dest]["flags"] += [f for f in spec["flags"] if f not in args[dest]["flags"]]
        else:
            args[dest] = spec

    for function in _argument_functions(tree):
        calls = sorted(
            (n for n in ast.walk(function) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset)
        )
        for call in calls:
            name = called_name(call)
            if name == "add_argument":
                spec = literal_spec(call, function.name)
                if spec:
                    add(spec)
            elif name == "ArgumentGroupFactory" and call.args and isinstance(call.args[0], ast.Name):
                found = src.resolve(path, call.args[0].id)
                if found is None:
                    raise ValueError(f"{ARGUMENTS}: cannot resolve ArgumentGroupFactory({call.args[0].id})")
                exclude = _resolve_exclude(tree, call, function)
                for field_name, (declared, fpath, stmt) in dataclass_fields(src, *found).items():
                    if field_name in exclude or _init_false(stmt.value):
                        continue
                    add(factory_spec(src, field_name, declared, fpath, stmt))
    return args


def _init_false(value: ast.expr | None) -> bool:
    if not (isinstance(value, ast.Call) and called_name(value) == "field"):
        return False
    init = keyword(value, "init")
    return isinstance(init, ast.Constant) and init.value is False


def config_fields(src: PySource) -> dict[str, list[str]]:
    """`dataclasses.fields()` names of TransformerConfig and MLATransformerConfig (bases included)."""
    path = src.root / ARGUMENTS
    out: dict[str, list[str]] = {}
    for name in CONFIG_CLASSES:
        found = src.resolve(path, name)
        if found is None:
            raise ValueError(f"{ARGUMENTS}: cannot resolve {name}")
        out[name] = list(dataclass_fields(src, *found))
    return out


def _walk_conditions(body: list[ast.stmt], when: tuple[str, ...], out: list[tuple[ast.stmt, tuple[str, ...]]]) -> None:
    for stmt in body:
        out.append((stmt, when))
        if isinstance(stmt, ast.If):
            test = ast.unparse(stmt.test)
            _walk_conditions(stmt.body, (*when, test), out)
            _walk_conditions(stmt.orelse, (*when, f"not ({test})"), out)


def transformer_config_explicit(src: PySource) -> dict[str, Any]:
    """What `core_transformer_config_from_args` sets beyond copying fields, and the args it reads."""
    function = src.function(src.root / ARGUMENTS, "core_transformer_config_from_args")
    statements: list[tuple[ast.stmt, tuple[str, ...]]] = []
    _walk_conditions(function.body, (), statements)
    kwargs: dict[str, list[dict[str, Any]]] = {}
    conditions: list[str] = []
    for stmt, when in statements:
        if isinstance(stmt, ast.If):
            conditions += [n for n in attribute_reads(stmt.test, "args") if n not in conditions]
        if not isinstance(stmt, ast.Assign):
            continue
        for target in stmt.targets:
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == "kw_args"
                and isinstance(target.slice, ast.Constant)
            ):
                kwargs.setdefault(str(target.slice.value), []).append(
                    {"value": ast.unparse(stmt.value), "when": " and ".join(when) or None}
                )
    return {"kwargs": kwargs, "condition_reads": sorted(conditions), "reads": sorted(attribute_reads(function, "args"))}


def _gpt_model_class(src: PySource) -> tuple[Path, ast.ClassDef]:
    found = src.resolve(src.root / GPT_BUILDERS, "GPTModel")
    if found is None:
        raise ValueError(f"{GPT_BUILDERS}: cannot resolve GPTModel")
    return found


def gpt_model(src: PySource) -> dict[str, Any]:
    """GPTModel kwargs gpt_builder takes from args, the args the layer spec reads, the fixed rest."""
    path = src.root / GPT_BUILDERS
    builder = src.function(path, "gpt_builder")
    # The core model: a bare `GPTModel(...)`, not `megatron.legacy.model.GPTModel(...)`.
    call = next((c for c in calls_named(builder, "GPTModel") if isinstance(c.func, ast.Name)), None)
    if call is None:
        raise ValueError(f"{GPT_BUILDERS}: gpt_builder() builds no GPTModel")
    from_args: dict[str, dict[str, Any]] = {}
    passed = {kw.arg for kw in call.keywords if kw.arg}
    for kw in call.keywords:
        reads = attribute_reads(kw.value, "args")
        if kw.arg and reads:
            from_args[kw.arg] = {"dest": reads[0], "expr": ast.unparse(kw.value)}
    spec_args: list[str] = []
    for function in (builder, src.function(path, "_get_transformer_layer_spec")):
        spec_args += [n for n in attribute_reads(function, "args") if n not in spec_args]
    direct = {v["dest"] for v in from_args.values()}
    cls_path, cls = _gpt_model_class(src)
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    positional = init.args.posonlyargs + init.args.args
    defaults = dict(zip((a.arg for a in positional[len(positional) - len(init.args.defaults):]), init.args.defaults))
    defaults.update({a.arg: d for a, d in zip(init.args.kwonlyargs, init.args.kw_defaults) if d is not None})
    fixed = {name: json_value(literal(node), node) for name, node in defaults.items() if name not in passed}
    return {
        "from_args": from_args,
        "spec_args": sorted(n for n in spec_args if n not in direct),
        "fixed": fixed,
        "source": str(cls_path.relative_to(src.root)),
    }


def extract_megatron(root: Path) -> dict[str, Any]:
    """The Megatron half of the registry from a Megatron-LM source root."""
    if not (root / ARGUMENTS).is_file():
        raise ValueError(f"{root}: not a Megatron-LM source tree (no {ARGUMENTS})")
    src = PySource(root)
    return {
        "args": argparse_args(src),
        "transformer_config": config_fields(src),
        "transformer_config_explicit": transformer_config_explicit(src),
        "gpt_model": gpt_model(src),
    }
