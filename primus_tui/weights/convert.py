"""`primus-tui convert`: HF safetensors -> a megatron-core distributed checkpoint Megatron-LM `--load`s.

The megatron model is built on the meta device (no memory) from the same merged args the
trainer would use; each of its tensors is converted from memory-mapped HF tensors by the plan
and cast to the target dtype, so the peak is about the model in that dtype. Everything is
written into a temp folder next to the output, renamed into place at the end; an interrupt or
an error removes the temp folder.
"""

from __future__ import annotations

import shutil
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import torch

from primus_tui.weights import megatron_ckpt, sidecar
from primus_tui.weights.errors import WeightsError
from primus_tui.weights.folders import check_target, place, temp_next_to
from primus_tui.weights.progress import Progress

DTYPES = {"bf16": torch.bfloat16, "fp32": torch.float32}


@dataclass(frozen=True)
class ConvertRequest:
    ref: str
    name: str
    out: Path
    revision: str | None = None
    dtype: str = "bf16"
    force: bool = False
    primus_root: str | None = None
    accept: tuple[str, ...] = ()


@dataclass
class ConvertResult:
    out: Path
    tensors: int
    bytes_read: int
    bytes_written: int
    seconds: float
    write_seconds: float = 0.0  # of `seconds`: the torch_dist save (disk-bound)


def _fill(sharded: dict, converted: dict[str, torch.Tensor]) -> None:
    from megatron.core.dist_checkpointing.mapping import ShardedTensor, ShardedTensorFactory

    for name, item in sharded.items():
        if isinstance(item, (ShardedTensor, ShardedTensorFactory)):
            if name not in converted:
                raise WeightsError(f"megatron tensor {name} has no converted value (no plan built it)")
            item.data = converted[name]
            if isinstance(item, ShardedTensor):
                item.dtype = converted[name].dtype


def convert(req: ConvertRequest, out: TextIO = sys.stderr) -> ConvertResult:
    from primus_tui.hf.fetch import fetch_config
    from primus_tui.hf.shards import fetch_weights
    from primus_tui.trainer.arch import architecture
    from primus_tui.trainer.errors import TrainerError
    from primus_tui.trainer.model import build_gpt, transformer_config
    from primus_tui.trainer.runtime import init_runtime
    from primus_tui.trainer.tokenizer import resolve_tokenizer
    from primus_tui.weights.hf_files import open_weights
    from primus_tui.weights.hf_to_mcore import mcore_shapes, plan_hf_to_mcore
    from primus_tui.weights.layout import HFLayout
    from primus_tui.weights.model_values import model_values
    from primus_tui.weights.plan import run_plan

    target = Path(req.out).expanduser().absolute()
    check_target(target, req.force)
    dtype = DTYPES[req.dtype]
    cfg = fetch_config(req.ref, req.revision)
    mv = model_values(cfg, req.name, primus_root=req.primus_root, accept=req.accept)
    files = fetch_weights(cfg)
    hf = open_weights(files.format, files.paths, files.weight_map)

    init_runtime(1234, force_cpu=True)
    try:
        tokenizer, _ = resolve_tokenizer(mv.values, mock_data=True)
        arch = architecture(mv.values, vocab_size=tokenizer.vocab_size)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config = transformer_config(arch, bf16=dtype == torch.bfloat16, cpu_init=True, initialize=False)
            with torch.device("meta"):
                model = build_gpt(arch, config)
            sharded = model.sharded_state_dict()
    except TrainerError as exc:
        raise WeightsError(f"{cfg.label}: the trainer cannot build this model: {exc}") from None
    shapes = mcore_shapes(model.state_dict())
    plans = plan_hf_to_mcore(hf.keys(), shapes, HFLayout.from_config(cfg.data))

    def read(name: str) -> torch.Tensor:
        try:
            return hf[name]
        except KeyError:
            raise WeightsError(f"{files.label}: tensor {name} is not in the weight files") from None
        except Exception as exc:  # safetensors: the index names a tensor the shard lacks, or a torn file
            raise WeightsError(f"{files.label}: cannot read tensor {name}: {' '.join(str(exc).split())}") from None

    recorder = _Recorder(read)
    converted: dict[str, torch.Tensor] = {}
    progress = Progress("convert", len(plans), files.total_bytes, out)
    tmp = temp_next_to(target, "convert")
    try:
        for name, tensor in run_plan(plans, recorder, shapes):
            converted[name] = tensor.to(dtype).contiguous()
            del tensor
            progress.advance(recorder.take())
        _fill(sharded, converted)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        common = {"checkpoint_version": megatron_ckpt.CHECKPOINT_VERSION, "iteration": 0,
                  "args": megatron_ckpt.checkpoint_args(mv.values, arch.padded_vocab_size)}
        write_started = time.perf_counter()
        megatron_ckpt.save(sharded, megatron_ckpt.checkpoint_name(tmp, 0, release=True), common)
        write_seconds = time.perf_counter() - write_started
        (tmp / megatron_ckpt.TRACKER).write_text("release")
        manifest = sidecar.Manifest(
            source={"ref": cfg.ref, "repo_id": cfg.repo_id, "revision": cfg.revision, "commit_sha": cfg.commit_sha,
                    "format": files.format},
            hf_tensors=recorder.tensors, values=mv.values, model_yaml=mv.model_yaml, dtype=req.dtype)
        sidecar.write(tmp, manifest, cfg.path.parent)
        seconds = progress.done()
        written = sum(p.stat().st_size for p in tmp.rglob("*") if p.is_file())
        place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ConvertResult(target, len(plans), recorder.total, written, seconds, write_seconds)


class _Recorder:
    """`read`, noting each HF tensor's shape and dtype for the manifest (export writes them back) and the bytes read."""

    def __init__(self, read) -> None:
        self.read = read
        self.tensors: dict[str, dict] = {}
        self.total = 0
        self._pending = 0

    def __call__(self, name: str) -> torch.Tensor:
        tensor = self.read(name)
        self.tensors[name] = {"shape": list(tensor.shape), "dtype": str(tensor.dtype).removeprefix("torch.")}
        nbytes = tensor.numel() * tensor.element_size()
        self.total += nbytes
        self._pending += nbytes
        return tensor

    def take(self) -> int:
        """Bytes read since the last call."""
        taken, self._pending = self._pending, 0
        return taken
