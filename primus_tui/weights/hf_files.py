"""Read an HF model's weights lazily: names and shapes up front, tensors one at a time.

safetensors files are memory-mapped (`safe_open`), so a tensor costs memory only while it is
converted; `.bin`-only repos are read with `torch.load(weights_only=True, mmap=True)` (no code runs).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import torch
from safetensors import safe_open


class MissingShard(FileNotFoundError):
    """A shard named by the index is not on disk."""


class HFCheckpoint(Mapping[str, torch.Tensor]):
    """name -> tensor over `model.safetensors` or a sharded `model.safetensors.index.json`.

    `files` (tensor -> path) overrides the folder lookup, e.g. shards resolved in the HF cache.
    """

    def __init__(self, folder: Path | str, files: Mapping[str, Path] | None = None) -> None:
        self.folder = Path(folder)
        self._handles: dict[Path, object] = {}
        if files is not None:
            self._file = dict(files)
            return
        index = self.folder / "model.safetensors.index.json"
        if index.is_file():
            weight_map = json.loads(index.read_text())["weight_map"]
            self._file = {name: self.folder / file for name, file in weight_map.items()}
            for name, path in self._file.items():
                if not path.is_file():
                    raise MissingShard(f"{self.folder}: missing shard {path.name} (named by {index.name} for {name})")
        else:
            single = self.folder / "model.safetensors"
            if not single.is_file():
                raise FileNotFoundError(f"{self.folder}: no model.safetensors or model.safetensors.index.json")
            with safe_open(single, "pt") as f:
                self._file = {name: single for name in f.keys()}

    def _open(self, path: Path):
        if path not in self._handles:  # one mmap per shard, kept open for the whole conversion
            self._handles[path] = safe_open(path, "pt")
        return self._handles[path]

    def config(self) -> dict:
        return json.loads((self.folder / "config.json").read_text())

    def __getitem__(self, name: str) -> torch.Tensor:
        return self._open(self._file[name]).get_tensor(name)

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self._open(self._file[name]).get_slice(name).get_shape())

    def __iter__(self) -> Iterator[str]:
        return iter(self._file)

    def __len__(self) -> int:
        return len(self._file)


class TorchBinCheckpoint(Mapping[str, torch.Tensor]):
    """name -> tensor over `pytorch_model*.bin` files (torch.load with weights_only=True, memory-mapped)."""

    def __init__(self, files: Mapping[str, Path]) -> None:
        self._file = dict(files)
        self._loaded: dict[Path, dict[str, torch.Tensor]] = {}

    def _state(self, path: Path) -> dict[str, torch.Tensor]:
        if path not in self._loaded:
            self._loaded[path] = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        return self._loaded[path]

    def __getitem__(self, name: str) -> torch.Tensor:
        return self._state(self._file[name])[name]

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self[name].shape)

    def __iter__(self) -> Iterator[str]:
        return iter(self._file)

    def __len__(self) -> int:
        return len(self._file)


def open_weights(fmt: str, paths: Mapping[str, Path], weight_map: Mapping[str, str] | None) -> Mapping[str, torch.Tensor]:
    """A lazy name -> tensor mapping over the files `primus_tui.hf.shards.fetch_weights` found."""
    if fmt == "safetensors":
        if weight_map is None:
            (path,) = paths.values()
            with safe_open(path, "pt") as f:
                return HFCheckpoint(path.parent, {name: path for name in f.keys()})
        first = next(iter(paths.values()))
        return HFCheckpoint(first.parent, {name: paths[shard] for name, shard in weight_map.items()})
    if weight_map is None:
        (path,) = paths.values()
        names = torch.load(path, map_location="cpu", weights_only=True, mmap=True).keys()
        return TorchBinCheckpoint({name: path for name in names})
    return TorchBinCheckpoint({name: paths[shard] for name, shard in weight_map.items()})
