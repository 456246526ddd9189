"""Resolve the experiment the answers produce, through the config engine, written or not.

`stage()` writes the generated files to a temporary folder (with links to the base preset's
`extends` chain) and a `StagedTree` looks model presets up there first, so the preview resolves
what Primus will read once the files are written. Sources are mapped back to the real paths.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from primus_tui.config import ConfigTree, Shadowed, resolve_experiment
from primus_tui.config.source import Source
from primus_tui.config.tree import FRAMEWORK_DIRS
from primus_tui.megatron.registry import registry_for_root
from primus_tui.megatron.report import KeyReport, key_reports


@dataclass(frozen=True)
class Resolution:
    """The merged module config of the experiment, with sources shown against the real tree."""

    values: dict
    sources: dict  # source tree (same shape as values) of config.Source
    shadowed: list[Shadowed]
    chain: tuple[str, ...]  # files read, bases first, relative to the tree root
    staged: bool = False  # True: resolved from a temporary overlay (nothing written yet)
    mismatches: dict[str, tuple[object, object]] = field(default_factory=dict)  # key -> (asked, resolved)
    keys: dict[str, KeyReport] = field(default_factory=dict)  # top-level key -> what Megatron does with it

    @property
    def dead_keys(self) -> list[KeyReport]:
        """Keys of the merged chain that Megatron (through Primus) will not read: inert or unknown."""
        return [r for r in self.keys.values() if r.liveness.dead]


@dataclass(frozen=True)
class StagedTree(ConfigTree):
    """The real tree, except model presets are looked up first in a staging folder."""

    stage_configs: Path | None = None

    def preset_path(self, name: str, kind: str, framework: str = "megatron") -> Path:
        if kind == "models" and self.stage_configs is not None and isinstance(name, str) and name:
            filename = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
            staged = self.stage_configs / kind / FRAMEWORK_DIRS.get(framework, framework) / filename
            if staged.parent == self.stage_configs / kind / FRAMEWORK_DIRS.get(framework, framework) and staged.is_file():
                return staged
        return super().preset_path(name, kind, framework)


@contextmanager
def stage(tree: ConfigTree, files: dict[Path, str], base_chain: tuple[Path, ...] = ()) -> Iterator[StagedTree]:
    """A temporary overlay: `files` (root-relative path -> text) plus links to the base preset's
    `extends` chain, so the staged model resolves exactly as it will once written."""
    tmp = Path(tempfile.mkdtemp(prefix="primus-tui-stage-"))
    try:
        configs = tmp / "primus" / "configs"
        real_configs = os.path.abspath(tree.configs_dir)
        for path in base_chain:
            rel = os.path.relpath(os.path.abspath(path), real_configs)
            if rel.startswith(".."):
                continue
            link = configs / rel
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                os.symlink(os.path.abspath(path), link)
        for rel, text in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        yield StagedTree(tree.root, configs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _remap(value: object, old: str, new: str) -> object:
    if isinstance(value, dict):
        return {k: _remap(v, old, new) for k, v in value.items()}
    if isinstance(value, Source) and value.file and value.file.startswith(old):
        return dataclasses.replace(value, file=new + value.file[len(old):])
    return value


def _show_root(root: Path) -> str:
    try:
        return os.path.relpath(root)
    except ValueError:
        return str(root)


def resolve(tree: ConfigTree, exp_rel: Path, module: str) -> Resolution:
    """Resolve the experiment at `exp_rel` (in the stage when `tree` is a `StagedTree`)."""
    staged = isinstance(tree, StagedTree) and tree.stage_configs is not None
    stage_root = tree.stage_configs.parent.parent if staged else tree.root
    resolved = resolve_experiment(stage_root / exp_rel, tree).module(module)
    chain = tuple(_rel(p, stage_root, tree.root) for p in resolved.chain)
    registry = registry_for_root(tree.root)
    if not staged:
        keys = key_reports(resolved.values, resolved.sources, registry, tree.root, tree.configs_dir)
        return Resolution(resolved.values, resolved.sources, list(resolved.shadowed), chain, keys=keys)
    old, new = _show_root(stage_root), _show_root(tree.root)
    sources = _remap(resolved.sources, old, new)
    keys = key_reports(resolved.values, sources, registry, tree.root, tree.configs_dir)
    shadowed = [
        dataclasses.replace(
            s,
            model_source=_remap(s.model_source, old, new),
            module_source=_remap(s.module_source, old, new),
            final_source=_remap(s.final_source, old, new),
        )
        for s in resolved.shadowed
    ]
    return Resolution(resolved.values, sources, shadowed, chain, staged=True, keys=keys)


def _rel(path: Path, *roots: Path) -> str:
    p = os.path.abspath(path)
    for root in roots:
        r = os.path.abspath(root)
        if p.startswith(r + os.sep):
            return os.path.relpath(p, r)
    return str(path)
