"""`primus-tui export`: a Megatron checkpoint -> an HF folder (config.json + safetensors) transformers loads.

The inverse of convert: the same per-tensor plan, run backwards (`TensorPlan.inverse`), onto
the HF names, shapes and dtypes convert recorded in the checkpoint's sidecar, so HF -> Megatron
-> HF gives back every tensor bit for bit. The model is rebuilt from the args saved with the
checkpoint (or an experiment given with --config) and filled with the trainer's own loader.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import torch

from primus_tui.weights import sidecar
from primus_tui.weights.errors import WeightsError
from primus_tui.weights.folders import check_target, place, temp_next_to
from primus_tui.weights.progress import Progress

SHARD_BYTES = 5 * 1024**3  # transformers' default max_shard_size


@dataclass(frozen=True)
class ExportRequest:
    checkpoint: Path
    to: Path
    config: Path | None = None  # an experiment whose merged args build the model
    overrides: tuple[str, ...] = ()
    force: bool = False
    hf_config: str | None = None  # without a convert sidecar: the HF config.json (repo id or folder) to write


@dataclass(frozen=True)
class ExportResult:
    to: Path
    tensors: int
    bytes_written: int
    iteration: int


def _values(req: ExportRequest, manifest: sidecar.Manifest) -> dict[str, Any]:
    if req.config is None:
        return dict(manifest.values)
    from primus_tui.config import ConfigTree, resolve_experiment

    root = os.environ.get("PRIMUS_CLI_ROOT") or None
    return dict(resolve_experiment(req.config, ConfigTree.at(root), cli_overrides=list(req.overrides))
                .module("pre_trainer").values)


def _source(req: ExportRequest, root: Path) -> tuple[sidecar.Manifest, Path]:
    """(manifest, folder holding config.json): the convert sidecar, else --hf-config + --config."""
    found = sidecar.find(root)
    if found is not None:
        return sidecar.read(found)
    if req.hf_config is None or req.config is None:
        raise WeightsError(f"{root}: no {sidecar.FOLDER}/manifest.json (written by `primus-tui convert` and carried "
                           "into the checkpoints of a run that loaded one); for a run from scratch pass "
                           "--hf-config REPO_OR_PATH and --config EXP.yaml")
    from primus_tui.hf.fetch import fetch_config
    from primus_tui.weights.hf_names import tensors_of

    cfg = fetch_config(req.hf_config)
    manifest = sidecar.Manifest(source={"ref": cfg.ref, "repo_id": cfg.repo_id, "commit_sha": cfg.commit_sha},
                                hf_tensors=tensors_of(cfg.data), values={})
    return manifest, cfg.path.parent


def _build(values: dict[str, Any], hf_dir: Path):
    from primus_tui.trainer.arch import architecture
    from primus_tui.trainer.errors import TrainerError
    from primus_tui.trainer.model import build_gpt, transformer_config
    from primus_tui.trainer.tokenizer import resolve_tokenizer

    try:
        tokenizer, _ = resolve_tokenizer(values, mock_data=True)
        arch = architecture(values, vocab_size=tokenizer.vocab_size)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config = transformer_config(arch, bf16=False, cpu_init=True, initialize=False)
            return build_gpt(arch, config)
    except TrainerError as exc:
        raise WeightsError(f"the trainer cannot build the checkpoint's model: {exc}") from None


def _hf_tensors(model: torch.nn.Module, manifest: sidecar.Manifest, hf_config: dict) -> dict[str, torch.Tensor]:
    from primus_tui.weights.hf_to_mcore import mcore_shapes, plan_hf_to_mcore
    from primus_tui.weights.layout import HFLayout

    state = model.state_dict()
    shapes = mcore_shapes(state)
    plans = plan_hf_to_mcore(manifest.hf_tensors, shapes, HFLayout.from_config(hf_config))
    out: dict[str, torch.Tensor] = {}
    for plan in plans:
        split = plan.inverse()
        if split is None:
            raise WeightsError(f"{plan.target}: {plan.how} has no inverse (export needs the per-expert HF layout)")
        want = [tuple(manifest.hf_tensors[s]["shape"]) for s in plan.sources]
        for name, shape, tensor in zip(plan.sources, want, split(state[plan.target], want)):
            if tuple(tensor.shape) != shape:
                raise WeightsError(f"{name}: export built {tuple(tensor.shape)} from {plan.target}, the HF model wants {shape}")
            dtype = getattr(torch, manifest.hf_tensors[name]["dtype"])
            out[name] = tensor.detach().to(dtype).contiguous().clone()
    return out


def _write_safetensors(tensors: dict[str, torch.Tensor], folder: Path, progress: Progress) -> int:
    """model.safetensors, or model-0000i-of-0000n.safetensors + index when over SHARD_BYTES (HF's names)."""
    from safetensors.torch import save_file

    shards: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for name, tensor in tensors.items():
        nbytes = tensor.numel() * tensor.element_size()
        if shards[-1] and size + nbytes > SHARD_BYTES:
            shards.append({})
            size = 0
        shards[-1][name] = tensor
        size += nbytes
    total = sum(t.numel() * t.element_size() for t in tensors.values())
    if len(shards) == 1:
        save_file(shards[0], str(folder / "model.safetensors"), metadata={"format": "pt"})
        for t in shards[0].values():
            progress.advance(t.numel() * t.element_size())
        return total
    weight_map = {}
    for i, shard in enumerate(shards, 1):
        file = f"model-{i:05d}-of-{len(shards):05d}.safetensors"
        save_file(shard, str(folder / file), metadata={"format": "pt"})
        weight_map.update({name: file for name in shard})
        for t in shard.values():
            progress.advance(t.numel() * t.element_size())
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
    return total


def export(req: ExportRequest, out: TextIO = sys.stderr) -> ExportResult:
    from primus_tui.trainer.runtime import init_runtime
    from primus_tui.weights.megatron_ckpt import CheckpointMismatch, load_model, locate

    target = Path(req.to).expanduser().absolute()
    check_target(target, req.force)
    try:
        located = locate(Path(req.checkpoint).expanduser())
    except FileNotFoundError as exc:
        raise WeightsError(str(exc)) from None
    manifest, hf_dir = _source(req, located.root)
    hf_config = json.loads((hf_dir / "config.json").read_text())
    init_runtime(1234, force_cpu=True)
    model = _build(_values(req, manifest), hf_dir)
    try:
        load_model(model, located)
    except CheckpointMismatch as exc:
        raise WeightsError(f"the model built from the saved args does not match the checkpoint: {exc}") from None
    tensors = _hf_tensors(model, manifest, hf_config)
    del model
    progress = Progress("export", len(tensors), sum(t.numel() * t.element_size() for t in tensors.values()), out)
    tmp = temp_next_to(target, "export")
    try:
        tmp.mkdir(parents=True)
        written = _write_safetensors(tensors, tmp, progress)
        for name in ("config.json", *sidecar.COMPANIONS):
            if (hf_dir / name).is_file():
                shutil.copyfile(hf_dir / name, tmp / name)
        progress.done()
        place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ExportResult(target, len(tensors), written, located.iteration)
