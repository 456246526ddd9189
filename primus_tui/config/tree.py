"""A Primus config tree (bundled or a real checkout) and preset loading with `extends`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from primus_tui.config.errors import ConfigError
from primus_tui.config.merge import deep_merge
from primus_tui.config.source import Sources, SourceTree, flatten_sources
from primus_tui.config.yamlfile import load_yaml_file

BUNDLED_ROOT = Path(__file__).resolve().parents[2]
FRAMEWORK_DIRS = {"megatron": "megatron", "megatron_bridge": "megatron_bridge", "torchtitan": "torchtitan", "maxtext": "maxtext"}


@dataclass(frozen=True)
class Loaded:
    """A YAML file with its `extends` chain applied."""

    path: Path
    data: dict
    source_tree: SourceTree
    chain: tuple[Path, ...]  # every file read, in merge order (bases first, this file last)

    @cached_property
    def sources(self) -> Sources:
        """Dotted key -> Source for every leaf."""
        return flatten_sources(self.source_tree)


def bundled_root() -> Path:
    """The repository root that holds the bundled `primus/configs/` tree."""
    env = os.environ.get("PRIMUS_TUI_BUNDLED_ROOT")
    return Path(env) if env else BUNDLED_ROOT


@dataclass(frozen=True)
class ConfigTree:
    """Where presets live: `<root>/primus/configs/<models|modules>/<framework>/<name>`."""

    root: Path

    @classmethod
    def at(cls, primus_root: str | Path | None) -> "ConfigTree":
        root = Path(primus_root).expanduser().resolve() if primus_root else bundled_root()
        tree = cls(root)
        if not tree.configs_dir.is_dir():
            raise ConfigError("not a Primus tree (no primus/configs/ folder)", str(root))
        return tree

    @property
    def configs_dir(self) -> Path:
        return self.root / "primus" / "configs"

    def preset_dir(self, kind: str, framework: str = "megatron") -> Path:
        return self.configs_dir / kind / FRAMEWORK_DIRS.get(framework, framework)

    def preset_path(self, name: str, kind: str, framework: str = "megatron") -> Path:
        """Primus's PresetLoader path rule, with its guard against escaping the configs dir."""
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{kind[:-1]} preset name must be a non-empty string, got {name!r}")
        filename = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
        path = os.path.abspath(os.path.join(self.configs_dir, kind, FRAMEWORK_DIRS.get(framework, framework), filename))
        root = os.path.abspath(self.configs_dir)
        if os.path.commonpath([path, root]) != root:
            raise ConfigError(f"preset name {name!r} escapes {root} (path traversal)")
        if not os.path.isfile(path):
            raise ConfigError(f"{kind[:-1]} preset {name!r} not found for framework {framework!r} (expected {path})")
        return Path(path)

    def load_preset(self, name: str, kind: str, framework: str = "megatron") -> Loaded:
        return load_with_extends(self.preset_path(name, kind, framework))

    def model_presets(self, framework: str = "megatron") -> list[str]:
        folder = self.preset_dir("models", framework)
        return sorted(p.name for p in folder.glob("*.yaml")) if folder.is_dir() else []

    def display(self, path: Path) -> str:
        """Path as shown to users: relative to the tree root when inside it."""
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)


def load_with_extends(path: Path, display_root: Path | None = None) -> Loaded:
    """Parse a file and apply its `extends` (Primus's `parse_yaml`)."""
    return _load(Path(os.path.abspath(path)), (), display_root)


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _load(path: Path, stack: tuple[Path, ...], display_root: Path | None) -> Loaded:
    if path in stack:
        cycle = " -> ".join(p.name for p in (*stack[stack.index(path):], path))
        raise ConfigError(f"extends cycle: {cycle}", _display(stack[-1], display_root))
    # Parsing is cached on the file's text; env substitution runs on every load, as in Primus.
    data, sources = load_yaml_file(path, _display(path, display_root))
    if "extends" not in data:
        return Loaded(path, data, sources, (path,))

    extends = data["extends"]
    if isinstance(extends, str):
        extends = [extends]
    elif isinstance(extends, dict):
        extends = list(extends)  # Primus's `for ext in extends` walks a mapping's keys
    if not isinstance(extends, list) or not all(isinstance(e, str) for e in extends):
        raise ConfigError(
            f"'extends' must be a file name or a list of file names, got {type(data['extends']).__name__}",
            _display(path, display_root),
        )
    merged: dict = {}
    merged_src: SourceTree = {}
    chain: list[Path] = []
    for ext in extends:
        base_path = Path(os.path.abspath(os.path.join(os.path.dirname(path), ext)))
        if not base_path.is_file():
            raise ConfigError(f"extends {ext!r}: file not found ({base_path})", _display(path, display_root))
        base = _load(base_path, (*stack, path), display_root)
        merged, merged_src = deep_merge(merged, merged_src, base.data, base.source_tree)
        chain.extend(p for p in base.chain if p not in chain)
    local = {k: v for k, v in data.items() if k != "extends"}
    local_src = {k: v for k, v in sources.items() if k != "extends"}
    merged, merged_src = deep_merge(merged, merged_src, local, local_src)
    chain.append(path)
    return Loaded(path, merged, merged_src, tuple(chain))
