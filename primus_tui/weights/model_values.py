"""The merged Megatron args the trainer would build for an HF config (pure: no torch).

`primus-tui convert` must write exactly the tensors `primus-cli` later builds, so it goes the
same way as `primus-tui import` + a run: map the config (refusing what import refuses, with its
reason), render the model YAML on the same default base, and resolve a minimal experiment with
Primus's merge in a scratch copy of the tree. Only the network shape matters here; parallel
sizes are 1 (a distributed checkpoint reshards at load).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from primus_tui.hf.errors import HFError
from primus_tui.hf.fetch import HFConfig

_EXPERIMENT = """\
work_group: primus-tui
user_name: convert
exp_name: convert
workspace: ./out
modules:
  pre_trainer:
    framework: megatron
    config: pre_trainer.yaml
    model: {model}
    overrides:
      mock_data: true
      bf16: false
      fp16: false
      tensor_model_parallel_size: 1
      pipeline_model_parallel_size: 1
      expert_model_parallel_size: 1
      context_parallel_size: 1
"""


@dataclass(frozen=True)
class ModelValues:
    """The model YAML as import writes it, and the merged args of an experiment using it."""

    name: str
    base: str
    model_yaml: str
    values: dict[str, Any]


def expressible_mapping(cfg: HFConfig, accept: Iterable[str] = ()):
    """`map_config`, refusing exactly what `primus-tui import` refuses, with the same message."""
    from primus_tui.hf import map_config

    mapping = map_config(cfg, accept=accept)
    if mapping.unsupported:
        raise HFError(f"{cfg.label}: cannot be expressed in Megatron fields: {mapping.unsupported_summary()}")
    return mapping


def model_values(cfg: HFConfig, name: str, *, primus_root: str | None = None,
                 accept: Iterable[str] = ()) -> ModelValues:
    from primus_tui.config import ConfigTree, resolve_experiment
    from primus_tui.hf import default_base, rank_bases, render_model_yaml

    tree = ConfigTree.at(primus_root)
    mapping = expressible_mapping(cfg, accept)
    existing = tree.preset_dir("models") / f"{name}.yaml"
    if existing.is_file():
        # the preset the experiment trains (the wizard's, with its architecture answers): the tensors
        # must fit the model built from it, or convert names the first that does not
        text = existing.read_text(encoding="utf-8")
        base = str((yaml.safe_load(text) or {}).get("extends", ""))
    else:
        candidates = [c for c in rank_bases(mapping, tree, quick=True) if c.name != f"{name}.yaml"]
        base = default_base(candidates)
        text = render_model_yaml(mapping, base, tree, name=name, hf=cfg)
    with tempfile.TemporaryDirectory(prefix="primus-tui-convert-") as tmp:
        root = Path(tmp)
        shutil.copytree(tree.root / "primus" / "configs", root / "primus" / "configs")
        (root / "primus/configs/models/megatron" / f"{name}.yaml").write_text(text)
        exp = root / "convert-exp.yaml"
        exp.write_text(_EXPERIMENT.format(model=f"{name}.yaml"))
        values = dict(resolve_experiment(exp, ConfigTree.at(root)).module("pre_trainer").values)
    longest = values.get("max_position_embeddings")
    if isinstance(longest, int) and isinstance(values.get("seq_length"), int) and values["seq_length"] > longest:
        values["seq_length"] = longest  # the module preset's default; it shapes no tensor
    return ModelValues(name, base, text, values)
