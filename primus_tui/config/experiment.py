"""Experiment resolution: the merged module config Primus's parser builds, with provenance.

Order (Primus `PrimusParser.parse_trainer_module`, then the train runtime's CLI step):
module preset -> model preset adds only keys the module preset lacks ->
`overrides` -> CLI `key=value` overrides.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from primus_tui.config.cli_overrides import parse_cli_overrides
from primus_tui.config.errors import ConfigError
from primus_tui.config.merge import deep_merge
from primus_tui.config.source import Source, Sources, SourceTree, flatten_sources, map_tree, uniform
from primus_tui.config.tree import ConfigTree, Loaded, load_with_extends

REQUIRED_META = ("work_group", "user_name", "exp_name", "workspace")
RESERVED_MODULE_KEYS = {"name", "framework", "config", "model", "overrides", "params"}
PLATFORM_REQUIRED = (
    "name",
    "num_nodes_env_key",
    "node_rank_env_key",
    "master_addr_env_key",
    "master_port_env_key",
    "gpus_per_node_env_key",
    "master_sink_level",
    "workspace",
)
DEFAULT_PLATFORM = {"config": "platform_azure.yaml", "overrides": {"master_sink_level": "INFO"}}


@dataclass(frozen=True)
class Shadowed:
    """A model-preset key whose value the module preset silently beats."""

    key: str
    model_value: object
    model_source: Source | None
    module_value: object
    module_source: Source | None
    final_value: object
    final_source: Source | None

    @property
    def fixed_by_override(self) -> bool:
        """True when `overrides`/CLI set the key, so the user's value is the one used."""
        return self.final_source is not None and self.final_source.kind in ("overrides", "cli")


@dataclass
class ResolvedModule:
    name: str
    framework: str
    values: dict
    source_tree: SourceTree
    module_preset: Loaded | None = None
    model_preset: Loaded | None = None
    shadowed: list[Shadowed] = field(default_factory=list)

    @property
    def sources(self) -> Sources:
        """Dotted key -> Source for every resolved leaf."""
        return flatten_sources(self.source_tree)

    @property
    def chain(self) -> tuple[Path, ...]:
        files: tuple[Path, ...] = ()
        for loaded in (self.module_preset, self.model_preset):
            if loaded:
                files += loaded.chain
        return files


@dataclass
class ResolvedExperiment:
    path: Path
    tree: ConfigTree
    data: dict
    source_tree: SourceTree
    platform: dict
    modules: dict[str, ResolvedModule]

    @property
    def sources(self) -> Sources:
        return flatten_sources(self.source_tree)

    def module(self, name: str = "pre_trainer") -> ResolvedModule:
        if name in self.modules:
            return self.modules[name]
        alias = {"pre_trainer": "post_trainer", "post_trainer": "pre_trainer"}.get(name)
        if alias in self.modules:
            return self.modules[alias]
        known = ", ".join(self.modules) or "none"
        raise ConfigError(f"no module named {name!r} (modules: {known})", _show(self.path))

    @property
    def exp_root(self) -> Path:
        d = self.data
        return Path(str(d["workspace"])) / str(d["work_group"]) / str(d["user_name"]) / str(d["exp_name"])


def _show(path: Path) -> str:
    import os

    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def resolve_experiment(
    path: str | Path,
    tree: ConfigTree | None = None,
    cli_overrides: list[str] | None = None,
    cli_module: str = "pre_trainer",
) -> ResolvedExperiment:
    """Resolve every trainer module of an experiment; CLI overrides go to `cli_module`."""
    tree = tree or ConfigTree.at(None)
    exp_path = Path(path)
    if not exp_path.exists():
        raise ConfigError("file not found", str(exp_path))
    loaded = load_with_extends(exp_path)
    data, sources = loaded.data, loaded.source_tree
    shown = _show(exp_path)
    _check_string_keys(data, shown)
    for key in REQUIRED_META:
        if key not in data:
            raise ConfigError(f"missing required key {key!r}", shown)

    platform = _resolve_platform(tree, data, shown)

    if "modules" not in data:
        raise ConfigError("missing required key 'modules'", shown)
    if not isinstance(data["modules"], dict) or not data["modules"]:
        raise ConfigError("'modules' must be a mapping of module name -> module settings", shown)

    modules: dict[str, ResolvedModule] = {}
    for name, spec in data["modules"].items():
        if "trainer" not in str(name):
            raise ConfigError(f"unknown module {name!r}: Primus only accepts trainer modules (e.g. pre_trainer)", shown)
        if not isinstance(spec, dict):
            raise ConfigError(f"modules.{name} must be a mapping", shown)
        spec_src = sources.get("modules", {}).get(name, {}) if isinstance(sources.get("modules"), dict) else {}
        modules[name] = _resolve_module(tree, str(name), spec, spec_src if isinstance(spec_src, dict) else {}, shown)
    for key in REQUIRED_META:
        # PrimusConfig joins them into the experiment folder (os.path.join needs strings).
        if not isinstance(data[key], str):
            raise ConfigError(
                f"{key} must be a string, got {type(data[key]).__name__} {data[key]!r} "
                f"(Primus joins workspace/work_group/user_name/exp_name into a path; quote it)",
                shown,
            )

    overrides = parse_cli_overrides(cli_overrides or [])
    _check_string_keys(overrides, "CLI overrides")  # the runtime makes namespaces of the merged params
    if overrides:
        target = ResolvedExperiment(exp_path, tree, data, sources, platform, modules).module(cli_module)
        cli_src = uniform(overrides, Source("cli"))
        target.values, target.source_tree = deep_merge(target.values, target.source_tree, overrides, cli_src)
        target.shadowed = [_refresh(s, target) for s in target.shadowed]
    return ResolvedExperiment(exp_path, tree, data, sources, platform, modules)


def _resolve_platform(tree: ConfigTree, data: dict, shown: str) -> dict:
    spec = data.get("platform", DEFAULT_PLATFORM)
    if not isinstance(spec, dict) or "config" not in spec:
        raise ConfigError("'platform' must be a mapping with a 'config' key", shown)
    if not isinstance(spec["config"], str):
        raise ConfigError(f"platform.config must be a file name, got {type(spec['config']).__name__}", shown)
    path = tree.configs_dir / "platforms" / spec["config"]
    if not path.is_file():
        raise ConfigError(f"platform config {spec['config']!r} not found (expected {path})", shown)
    platform = load_with_extends(path).data
    _check_string_keys(platform, tree.display(path))
    platform["config"] = spec["config"]
    if spec.get("overrides") is not None:
        platform, _ = _namespace_merge(platform, {}, _as_mapping(spec["overrides"], "platform.overrides", shown), {})
    for key in PLATFORM_REQUIRED:
        if key not in platform:
            raise ConfigError(f"platform config {spec['config']!r} lacks required key {key!r}", shown)
    return platform


def _resolve_module(tree: ConfigTree, name: str, spec: dict, spec_src: SourceTree, shown: str) -> ResolvedModule:
    if "framework" not in spec:
        raise ConfigError(f"modules.{name}: missing required key 'framework'", shown)
    framework = str(spec["framework"])
    if "config" not in spec:
        # Primus leaves such a module as written (e.g. an exported, already flat config), after
        # setting its `name` to "exp.modules.<name>" (parse_trainer_module does that first).
        values = copy.deepcopy(spec)
        values["name"] = f"exp.modules.{name}"
        sources = dict(spec_src)
        sources["name"] = Source("primus", note="module name")
        return ResolvedModule(name, framework, values, sources)
    if "model" not in spec:
        raise ConfigError(f"modules.{name}: missing required key 'model'", shown)
    if not isinstance(spec["framework"], str):
        raise ConfigError(
            f"modules.{name}.framework must be a string, got {type(spec['framework']).__name__}", shown
        )

    try:
        module_preset = tree.load_preset(spec["config"], "modules", framework)
        model_preset = tree.load_preset(spec["model"], "models", framework)
    except ConfigError as exc:
        if exc.path:
            raise
        raise ConfigError(f"modules.{name}: {exc.problem}", shown) from None
    _check_string_keys(module_preset.data, tree.display(module_preset.path))
    _check_string_keys(model_preset.data, tree.display(model_preset.path))

    values = copy.deepcopy(module_preset.data)
    sources: SourceTree = dict(module_preset.source_tree)
    values["name"] = f"exp.modules.{name}.config"
    sources["name"] = Source("primus", note="module name")
    values["framework"] = framework
    sources["framework"] = spec_src.get("framework", Source("primus"))
    for key, value in spec.items():
        if key not in RESERVED_MODULE_KEYS and not str(key).startswith("_") and key not in values:
            values[key] = copy.deepcopy(value)
            if key in spec_src:
                sources[key] = spec_src[key]

    model = copy.deepcopy(model_preset.data)
    model_src: SourceTree = dict(model_preset.source_tree)
    model["name"] = f"exp.modules.{name}.model"
    if "model" not in model:
        model["model"] = spec["model"]
        model_src["model"] = spec_src.get("model", Source("primus"))

    added = {k: v for k, v in model.items() if k != "name" and k not in values}
    shadowed_keys = [k for k in model if k != "name" and k in values and model[k] != values[k]]
    shadow_info = [
        (k, model[k], _first_source(model_src.get(k)), values[k], _first_source(sources.get(k))) for k in shadowed_keys
    ]
    values, sources = _namespace_merge(values, sources, added, {k: v for k, v in model_src.items() if k in added})

    overrides = spec.get("overrides")
    if overrides is not None:
        overrides = _as_mapping(overrides, f"modules.{name}.overrides", shown)
        raw_src = spec_src.get("overrides", {})
        ov_src = map_tree(raw_src, lambda src: src.as_kind("overrides")) if isinstance(raw_src, dict) else {}
        values, sources = _namespace_merge(values, sources, overrides, ov_src)
    values["name"] = name

    module = ResolvedModule(name, framework, values, sources, module_preset, model_preset)
    module.shadowed = [
        _refresh(Shadowed(k, mv, ms, dv, ds, None, None), module) for k, mv, ms, dv, ds in shadow_info
    ]
    return module


def _refresh(shadow: Shadowed, module: ResolvedModule) -> Shadowed:
    key = shadow.key
    return Shadowed(
        key,
        shadow.model_value,
        shadow.model_source,
        shadow.module_value,
        shadow.module_source,
        module.values.get(key),
        _first_source(module.source_tree.get(key)),
    )


def _first_source(node: Source | SourceTree | None) -> Source | None:
    """The source of a key; for a dict value, its first leaf's (the key itself has none)."""
    while isinstance(node, dict):
        node = next(iter(node.values()), None)
    return node


def _check_string_keys(data: object, shown: str, prefix: str = "") -> None:
    """Primus turns every mapping (also inside lists) into a SimpleNamespace: keys must be strings."""
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                where = f" under {prefix.rstrip('.')!r}" if prefix else ""
                raise ConfigError(
                    f"key {key!r}{where} is not a string ({type(key).__name__}) "
                    "(Primus builds a SimpleNamespace from each mapping; quote the key)",
                    shown,
                )
            _check_string_keys(value, shown, f"{prefix}{key}.")
    elif isinstance(data, (list, tuple)):
        for i, item in enumerate(data):
            _check_string_keys(item, shown, f"{prefix}{i}.")


def _as_mapping(value: object, where: str, shown: str) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a mapping, got {type(value).__name__}", shown)
    return value


def _namespace_merge(dst: dict, dst_src: SourceTree, override: dict, override_src: SourceTree) -> tuple[dict, SourceTree]:
    """Primus's `deep_merge_namespace`: deep merge, then write back with "null" -> None.

    Primus writes every merged leaf back through `set_value_by_key`, which turns
    the string "null" into None; dicts that were not there before are written as-is.
    """
    merged, sources = deep_merge(dst, dst_src, override, override_src)
    result = copy.deepcopy(dst)
    _assign(result, merged)
    return result, sources


def _assign(dst: dict, src: dict) -> None:
    for key, value in src.items():
        if isinstance(value, dict):
            current = dst.get(key)
            if isinstance(current, dict):
                _assign(current, value)
            else:
                dst[key] = copy.deepcopy(value)
        else:
            dst[key] = None if value == "null" else value
