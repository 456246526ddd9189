"""Resolve the experiment the answers produce, through the config engine, written or not.

`stage()` lays the generated files over the target tree in a temporary folder (symlinks to
every other preset), so the preview resolves exactly what Primus would read, without writing.
Sources are mapped back to the real tree's paths.
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


@dataclass(frozen=True)
class Resolution:
    """The merged module config of the experiment, with sources shown against the real tree."""

    values: dict
    sources: dict  # source tree (same shape as values) of config.Source
    shadowed: list[Shadowed]
    chain: tuple[str, ...]  # files read, bases first, relative to the tree root
    staged: bool = False  # True: resolved from a temporary overlay (nothing written yet)
    mismatches: dict[str, tuple[object, object]] = field(default_factory=dict)  # key -> (asked, resolved)


def _link_dir(src: Path, dst: Path, skip: str | None = None) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(src):
        if entry.name != skip:
            os.symlink(entry.path, dst / entry.name)


@contextmanager
def stage(tree: ConfigTree, files: dict[Path, str], framework_dir: str = "megatron") -> Iterator[ConfigTree]:
    """A temporary tree: the target's presets (symlinked) plus `files` (root-relative path -> text)."""
    tmp = Path(tempfile.mkdtemp(prefix="primus-tui-stage-"))
    try:
        configs = tmp / "primus" / "configs"
        _link_dir(tree.configs_dir, configs, skip="models")
        models = tree.configs_dir / "models"
        if models.is_dir():
            _link_dir(models, configs / "models", skip=framework_dir)
            if (models / framework_dir).is_dir():
                names = {p.name for p in files if p.parent == Path("primus/configs/models") / framework_dir}
                (configs / "models" / framework_dir).mkdir(parents=True, exist_ok=True)
                for entry in os.scandir(models / framework_dir):
                    if entry.name not in names:
                        os.symlink(entry.path, configs / "models" / framework_dir / entry.name)
        for rel, text in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        yield ConfigTree(tmp)
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


def resolve(tree: ConfigTree, exp_rel: Path, module: str, *, staged_from: ConfigTree | None = None) -> Resolution:
    """Resolve `<tree.root>/<exp_rel>`; with `staged_from`, `tree` is a stage over that real tree."""
    resolved = resolve_experiment(tree.root / exp_rel, tree).module(module)
    real = staged_from or tree
    root_abs = str(tree.root)
    chain = tuple(str(Path(os.path.abspath(p)).relative_to(root_abs)) if str(p).startswith(root_abs) else str(p)
                  for p in resolved.chain)
    if staged_from is None:
        return Resolution(resolved.values, resolved.sources, list(resolved.shadowed), chain)
    old, new = _show_root(tree.root), _show_root(real.root)
    sources = _remap(resolved.sources, old, new)
    shadowed = [
        dataclasses.replace(
            s,
            model_source=_remap(s.model_source, old, new),
            module_source=_remap(s.module_source, old, new),
            final_source=_remap(s.final_source, old, new),
        )
        for s in resolved.shadowed
    ]
    return Resolution(resolved.values, sources, shadowed, chain, staged=True)
