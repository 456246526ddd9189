"""Shared pieces of the weights tests: run `primus-tui convert/export` in-process, build and load the
trainer's model, compare losses. torch / megatron / transformers are imported by the test modules first."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fidelity"))
import fidelity_helpers as fh  # noqa: E402

SEQ = fh.SEQ


def cli(*argv: str) -> tuple[int, str, str]:
    """`primus-tui ARGV` in this process: (exit code, stdout, stderr)."""
    from primus_tui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def convert(folder: Path, name: str, out: Path, *extra: str) -> str:
    code, stdout, stderr = cli("convert", str(folder), "--name", name, "--out", str(out), "--dtype", "fp32", *extra)
    assert code == 0, stderr
    assert stdout.strip() == str(out.absolute())
    return stderr


def trainer_model(values: dict, checkpoint: Path, **load: object) -> tuple[torch.nn.Module, list[str]]:
    """The trainer's model for `values`, filled by the trainer's `load:` path; (model, Megatron log lines)."""
    from primus_tui.trainer.load import load_pretrained
    from primus_tui.trainer.settings import TrainSettings

    model = fh.build_mcore(values)
    said: list[str] = []
    settings = TrainSettings.from_values({**values, "lr_warmup_iters": 0, "load": str(checkpoint), **load})
    load_pretrained(model, settings, said.append, said.append)
    return model.eval(), said


@torch.no_grad()
def losses(hf_model: torch.nn.Module, mcore: torch.nn.Module, vocab: int) -> tuple[float, float]:
    """(HF loss, megatron loss) of next-token prediction on the same fixed batch (what iteration 1 computes)."""
    ids = fh.tokens(vocab, seed=3)
    ref = float(hf_model(input_ids=ids, labels=ids).loss)
    inputs, labels = ids[:, :-1], ids[:, 1:]
    pos = torch.arange(inputs.shape[1]).expand_as(inputs)
    ours = float(mcore(inputs, pos, None, labels=labels).float().mean())
    return ref, ours


def safetensors_dict(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    tensors: dict[str, torch.Tensor] = {}
    for file in sorted(folder.glob("*.safetensors")):
        tensors.update(load_file(str(file)))
    return tensors
