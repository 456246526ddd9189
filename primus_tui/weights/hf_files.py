"""Read an HF model folder's safetensors lazily: names and shapes up front, tensors one at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import torch
from safetensors import safe_open


class HFCheckpoint(Mapping[str, torch.Tensor]):
    """name -> tensor over `model.safetensors` or a sharded `model.safetensors.index.json`."""

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        index = self.folder / "model.safetensors.index.json"
        if index.is_file():
            weight_map = json.loads(index.read_text())["weight_map"]
            self._file = {name: self.folder / file for name, file in weight_map.items()}
        else:
            single = self.folder / "model.safetensors"
            if not single.is_file():
                raise FileNotFoundError(f"{self.folder}: no model.safetensors or model.safetensors.index.json")
            with safe_open(single, "pt") as f:
                self._file = {name: single for name in f.keys()}

    def config(self) -> dict:
        return json.loads((self.folder / "config.json").read_text())

    def __getitem__(self, name: str) -> torch.Tensor:
        with safe_open(self._file[name], "pt") as f:
            return f.get_tensor(name)

    def shape(self, name: str) -> tuple[int, ...]:
        with safe_open(self._file[name], "pt") as f:
            return tuple(f.get_slice(name).get_shape())

    def __iter__(self) -> Iterator[str]:
        return iter(self._file)

    def __len__(self) -> int:
        return len(self._file)
