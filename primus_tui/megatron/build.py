"""Assemble the registry document from a Megatron-LM and a Primus source root, and render it.

Rendering is deterministic (sorted keys, indent 1, trailing newline) so regenerating from the
same two commits gives the committed file byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from primus_tui.megatron.extract import extract_megatron
from primus_tui.megatron.primus_scan import extract_primus

FORMAT = 1
PRESET_DIRS = (Path("primus/configs/modules/megatron"), Path("primus/configs/models/megatron"))


def declared_keys(primus_root: Path, known: set[str]) -> dict[str, list[str]]:
    """Top-level keys of Primus's Megatron presets that nothing reads: declared, yet inert."""
    found: dict[str, set[str]] = {}
    for folder in PRESET_DIRS:
        for path in sorted((primus_root / folder).rglob("*.y*ml")):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError):
                continue
            for key in data if isinstance(data, dict) else ():
                if isinstance(key, str) and key not in known and key != "extends":
                    found.setdefault(key, set()).add(path.relative_to(primus_root).as_posix())
    return {k: sorted(v) for k, v in sorted(found.items())}


def build(megatron_root: Path, primus_root: Path, megatron_commit: str, primus_commit: str) -> dict[str, Any]:
    """The whole registry document (see docs/DEVELOPING.md, "Megatron argument registry")."""
    megatron = extract_megatron(megatron_root)
    dests = set(megatron["args"])
    fields = set().union(*map(set, megatron["transformer_config"].values()))
    primus = extract_primus(primus_root, dests | fields, dests)
    known = dests | fields | set(primus["reads"]) | set(primus["reserved"])
    primus["declared"] = declared_keys(primus_root, known)
    return {
        "format": FORMAT,
        "megatron_lm_commit": megatron_commit,
        "primus_commit": primus_commit,
        **megatron,
        "primus": primus,
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
