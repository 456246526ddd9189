"""Find and fetch a model's weight files (safetensors shards, else pytorch_model.bin) beside its config.json.

Repo ids go through `fetch.fetch_file` (huggingface_hub, the same cache, offline mode, token and
revision as the config, pinned to the config's commit sha so config and weights match); local
folders are read in place. Every shard the index names must exist before conversion starts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from primus_tui.hf.errors import HFError
from primus_tui.hf.fetch import HFConfig, fetch_file

# (index file, single file, format), in the order transformers prefers them
LAYOUTS = (
    ("model.safetensors.index.json", "model.safetensors", "safetensors"),
    ("pytorch_model.bin.index.json", "pytorch_model.bin", "bin"),
)


@dataclass(frozen=True)
class WeightFiles:
    """The weight files of one model: `paths[name]` is where the shard `name` lies on disk."""

    label: str
    format: str  # "safetensors" or "bin"
    paths: dict[str, Path]
    weight_map: dict[str, str] | None  # tensor -> shard file, from the index (None: one file)

    @property
    def total_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.paths.values())


def _read_index(path: Path, label: str) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        weight_map = data["weight_map"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HFError(f"{label}: unreadable {path.name} ({type(exc).__name__}: {exc})") from None
    if not isinstance(weight_map, dict) or not weight_map:
        raise HFError(f"{label}: {path.name} has no weight_map")
    return {str(k): str(v) for k, v in weight_map.items()}


def _local(cfg: HFConfig) -> WeightFiles:
    folder = cfg.path.parent
    for index, single, fmt in LAYOUTS:
        if (folder / index).is_file():
            weight_map = _read_index(folder / index, cfg.label)
            paths = {}
            for tensor, shard in sorted(weight_map.items(), key=lambda kv: kv[1]):
                if shard not in paths:
                    if not (folder / shard).is_file():
                        raise HFError(f"{folder}: missing shard {shard} (named by {index} for {tensor})")
                    paths[shard] = folder / shard
            return WeightFiles(cfg.label, fmt, paths, weight_map)
        if (folder / single).is_file():
            return WeightFiles(cfg.label, fmt, {single: folder / single}, None)
    raise HFError(f"{folder}: no weights (model.safetensors[.index.json] or pytorch_model.bin[.index.json])")


def _absent(exc: HFError) -> bool:
    return bool(getattr(exc, "missing_file", False) or getattr(exc, "not_cached", False))


def _hub(cfg: HFConfig) -> WeightFiles:
    repo, revision = cfg.repo_id or "", cfg.commit_sha or cfg.revision
    first_error: HFError | None = None
    for index, single, fmt in LAYOUTS:
        for name in (index, single):
            try:
                path = fetch_file(repo, revision, name)
            except HFError as exc:
                if not _absent(exc):
                    raise
                first_error = first_error or exc
                continue
            if name == single:
                return WeightFiles(cfg.label, fmt, {single: path}, None)
            weight_map = _read_index(path, cfg.label)
            paths: dict[str, Path] = {}
            for tensor, shard in sorted(weight_map.items(), key=lambda kv: kv[1]):
                if shard not in paths:
                    try:
                        paths[shard] = fetch_file(repo, revision, shard)
                    except HFError as exc:
                        if getattr(exc, "missing_file", False):
                            raise HFError(f"{cfg.label}: missing shard {shard} (named by {index} for {tensor})") from None
                        raise
            return WeightFiles(cfg.label, fmt, paths, weight_map)
    assert first_error is not None
    if getattr(first_error, "not_cached", False):
        raise first_error
    raise HFError(f"{cfg.label}: repository has no weights (model.safetensors[.index.json] or pytorch_model.bin[.index.json])")


def fetch_weights(cfg: HFConfig) -> WeightFiles:
    """The weight files for `cfg` (the config fetched by `fetch_config`), downloaded into the HF cache if needed."""
    return _hub(cfg) if cfg.repo_id else _local(cfg)
