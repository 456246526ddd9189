"""What export needs, kept inside the checkpoint folder: `<root>/primus_tui/`.

`hf/` holds the source's config.json (and its tokenizer / generation files when they sat beside
it); `manifest.json` the source (repo, revision, commit), every HF tensor's name, shape and dtype
(so export writes the same names, shapes and dtypes back), and the merged Megatron args the
model was built from. The trainer copies it into its own checkpoints, so they export too.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FOLDER = "primus_tui"
# small files beside config.json that make the exported folder usable (tokenizer, generation defaults)
COMPANIONS = ("generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
              "tokenizer.model", "vocab.json", "merges.txt", "chat_template.jinja")
MAX_COMPANION_BYTES = 64 * 1024 * 1024


@dataclass
class Manifest:
    source: dict[str, Any]  # ref, repo_id, revision, commit_sha
    hf_tensors: dict[str, dict[str, Any]]  # name -> {"shape": [...], "dtype": "bfloat16"}
    values: dict[str, Any]  # merged Megatron args (JSON-able ones)
    model_yaml: str = ""
    dtype: str = "bf16"  # what convert wrote
    version: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in values.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            continue
        out[key] = value
    return out


def write(root: Path, manifest: Manifest, hf_folder: Path) -> None:
    """Write `<root>/primus_tui/` (root is the not-yet-renamed temp folder)."""
    folder = root / FOLDER
    (folder / "hf").mkdir(parents=True, exist_ok=True)
    for name in ("config.json", *COMPANIONS):
        src = hf_folder / name
        if src.is_file() and src.stat().st_size <= MAX_COMPANION_BYTES:
            shutil.copyfile(src, folder / "hf" / name)
    manifest.values = _jsonable(manifest.values)
    (folder / "manifest.json").write_text(json.dumps(asdict(manifest), indent=1, sort_keys=True) + "\n")


def find(path: Path) -> Path | None:
    """The sidecar for a checkpoint root or one of its iter/release folders."""
    for candidate in (Path(path), Path(path).parent):
        if (candidate / FOLDER / "manifest.json").is_file():
            return candidate / FOLDER
    return None


def read(folder: Path) -> tuple[Manifest, Path]:
    """(manifest, the hf/ folder) of a sidecar found by `find`."""
    data = json.loads((folder / "manifest.json").read_text())
    return Manifest(**data), folder / "hf"


def copy_into(source_root: Path, save_root: Path, values: dict[str, Any] | None = None) -> None:
    """Carry the sidecar of a loaded checkpoint into a new save folder (values updated to this run's)."""
    found = find(source_root)
    target = save_root / FOLDER
    if found is None or found.resolve() == target.resolve():
        return
    save_root.mkdir(parents=True, exist_ok=True)
    tmp = save_root / f".{FOLDER}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(found, tmp)
    if values is not None:
        manifest, _ = read(tmp)
        manifest.values = _jsonable(values)
        (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), indent=1, sort_keys=True) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
