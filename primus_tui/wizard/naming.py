"""The name a new model preset gets when the user typed none: never one of Primus's own files.

Primus ships presets named like the HF models (`deepseek_v2_lite.yaml`); deriving the same name
would hide that preset from the base ranking and plan to overwrite it. A file primus-tui wrote
itself (its header says so) keeps its name, so a rerun updates it in place.
"""

from __future__ import annotations

from pathlib import Path

from primus_tui.config import ConfigTree
from primus_tui.generator import GENERATOR

SUFFIX = "_hf"


def written_by_primus_tui(path: Path) -> bool:
    """Whether `path`'s first line is the header primus-tui's model renderer writes."""
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            return GENERATOR in fh.readline(4096)
    except OSError:
        return False


def free_name(default: str, tree: ConfigTree | None, framework: str = "megatron") -> str:
    """`default`, or `default_hf` (`_hf2`, ...) when a preset of that name exists that we did not write."""
    if tree is None:
        return default
    folder = tree.preset_dir("models", framework)
    candidate, n = default, 1
    while (folder / f"{candidate}.yaml").is_file() and not written_by_primus_tui(folder / f"{candidate}.yaml"):
        n += 1
        candidate = f"{default}{SUFFIX}" if n == 2 else f"{default}{SUFFIX}{n - 1}"
    return candidate
