"""Write a generated model YAML into a Primus tree: atomic, and never over a different file unasked."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from primus_tui.hf.errors import HFError


def model_yaml_path(tree, name: str) -> Path:
    return tree.preset_dir("models", "megatron") / f"{name}.yaml"


def write_model_yaml(tree, name: str, text: str, *, force: bool = False, refuse: type[HFError] = HFError) -> Path:
    """Write `<tree>/primus/configs/models/megatron/<name>.yaml`; identical content is a no-op.

    A different existing file raises `refuse` unless `force`. The write goes to a temp file in the
    same folder and is renamed over the target, so readers never see a half-written YAML.
    """
    path = model_yaml_path(tree, name)
    if path.exists():
        try:
            current = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise HFError(f"{path}: cannot read the existing file ({exc})") from None
        if current == text:
            return path
        if not force:
            raise refuse(f"{path} exists and differs from the generated config; pass --force to replace it")
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise HFError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return path
