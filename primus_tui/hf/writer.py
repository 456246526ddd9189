"""Write a generated model YAML into a Primus tree: a file transaction, never over a different file unasked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from primus_tui.files import Change, FileConflict, FileWriteError, apply, recover
from primus_tui.hf.errors import HFError


@dataclass(frozen=True)
class ModelWritten:
    """Where the YAML went, and where the file it replaced (`--force`) is kept."""

    path: Path
    backup: Path | None = None
    notes: tuple[str, ...] = ()  # interrupted writes of killed runs rolled back first


def model_yaml_path(tree, name: str) -> Path:
    return tree.preset_dir("models", "megatron") / f"{name}.yaml"


def write_model_yaml(tree, name: str, text: str, *, force: bool = False,
                     refuse: type[HFError] = HFError) -> ModelWritten:
    """Write `<tree>/primus/configs/models/megatron/<name>.yaml`; identical content is a no-op.

    A different existing file raises `refuse` unless `force` (then its old bytes are kept under
    `<tree>/.primus-tui/backups/`). A new file is created exclusively, a replaced one must still hold
    the bytes read here (`primus_tui.files`), so a concurrent writer is never overwritten silently.
    """
    path = model_yaml_path(tree, name)
    notes = tuple(recover(Path(tree.root), [path.parent]))
    try:
        before = path.read_bytes()
    except FileNotFoundError:
        before = None
    except OSError as exc:
        raise HFError(f"{path}: cannot read the existing file ({exc.strerror or exc})") from None
    if before == text.encode("utf-8"):
        return ModelWritten(path, None, notes)
    if before is not None and not force:
        raise refuse(f"{path} exists and differs from the generated config; pass --force to replace it")
    try:
        applied = apply([Change(path, text, before, str(path))], Path(tree.root))
    except FileConflict as exc:
        raise refuse(str(exc)) from None
    except FileWriteError as exc:
        raise HFError(str(exc)) from None
    return ModelWritten(path, applied.backups[0][1] if applied.backups else None, notes)
