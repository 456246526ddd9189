"""Product path for the logits fidelity tests: tiny random HF model -> `primus-tui import` -> resolved
experiment -> megatron-core GPTModel -> converted weights -> logits of both.

torch / megatron / transformers are imported by the test module (importorskip) before this is used.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
BATCH, SEQ = 2, 24
EXPERIMENT = """\
work_group: amd
user_name: root
exp_name: fidelity
workspace: ./out
modules:
  pre_trainer:
    framework: megatron
    config: pre_trainer.yaml
    model: {model}
    overrides:
      seq_length: {seq}
      micro_batch_size: {batch}
      global_batch_size: {batch}
      train_iters: 1
      mock_data: true
      bf16: false
      fp16: false
      tensor_model_parallel_size: 1
      pipeline_model_parallel_size: 1
      expert_model_parallel_size: 1
"""


class ImportRefused(Exception):
    """`primus-tui import` exited non-zero; the message is its one-line error."""


@dataclass
class Built:
    """One case: the HF model, the megatron model with converted weights, and what was compared."""

    name: str
    hf_model: torch.nn.Module
    hf_folder: Path
    model_yaml: dict
    diagnostics: str  # the import's stderr (base, parameter counts, warnings)
    values: dict  # merged Megatron args of the experiment
    mcore: torch.nn.Module | None = None
    vocab_size: int = 0


def primus_root(tmp: Path) -> Path:
    """A writable copy of the bundled tree (as tests/conftest.py's primus_tree_copy)."""
    root = tmp / "primus_root"
    if not root.exists():
        shutil.copytree(REPO_ROOT / "primus", root / "primus")
    return root


def randomize(model: torch.nn.Module, seed: int) -> None:
    """Non-trivial norm weights, biases and router score biases, so a wrong mapping of any shows."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
            if not tensor.is_floating_point() or "inv_freq" in name or "rotary" in name:
                continue
            noise = torch.randn(tensor.shape, generator=g, dtype=tensor.dtype)
            if "norm" in name and name.endswith("weight"):
                tensor.copy_(1.0 + 0.1 * noise)
            elif name.endswith("bias"):
                tensor.copy_(0.1 * noise)


def tiny_hf_model(config, folder: Path, seed: int = 0) -> torch.nn.Module:
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AutoModelForCausalLM.from_config(config, attn_implementation="eager").float().eval()
    randomize(model, seed + 1)
    model.save_pretrained(folder)
    return model


def import_model_yaml(folder: Path, name: str) -> tuple[str, str]:
    """`primus-tui import <folder> --name <name> --print`, in-process: (YAML, stderr diagnostics).

    ImportRefused (with the one-line error) on a non-zero exit.
    """
    from primus_tui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["import", str(folder), "--name", name, "--print"])
    if code != 0:
        raise ImportRefused(err.getvalue().strip())
    return out.getvalue(), err.getvalue()


def resolve_values(root: Path, name: str, model_yaml: str) -> dict:
    """Write the model YAML into the tree and resolve a minimal experiment naming it (Primus's merge)."""
    from primus_tui.config import ConfigTree, resolve_experiment

    (root / "primus/configs/models/megatron" / f"{name}.yaml").write_text(model_yaml)
    exp = root / f"{name}-exp.yaml"
    exp.write_text(EXPERIMENT.format(model=f"{name}.yaml", seq=SEQ, batch=BATCH))
    return dict(resolve_experiment(exp, ConfigTree.at(str(root))).module("pre_trainer").values)


def build_mcore(values: dict) -> torch.nn.Module:
    """What primus-cli's trainer builds from these args (fp32, CPU)."""
    from primus_tui.trainer.arch import architecture
    from primus_tui.trainer.model import build_gpt, transformer_config

    arch = architecture(values)
    config = transformer_config(arch, bf16=False, cpu_init=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_gpt(arch, config).eval()


def respell_config(folder: Path, renames: dict[str, str]) -> None:
    """Rename config.json keys in place (a Hub file's spellings of what save_pretrained wrote)."""
    path = folder / "config.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps({renames.get(k, k): v for k, v in data.items()}, indent=2))


def load_converted(mcore: torch.nn.Module, folder: Path) -> None:
    """Convert the saved safetensors onto the model; strict: every non-_extra_state key filled."""
    from primus_tui.weights.hf_files import HFCheckpoint
    from primus_tui.weights.hf_to_mcore import convert_hf_to_mcore

    hf = HFCheckpoint(folder)
    state = convert_hf_to_mcore(hf, mcore.state_dict(), hf.config())
    result = mcore.load_state_dict(state, strict=False)
    unexpected = list(result.unexpected_keys)
    missing = [k for k in result.missing_keys if not k.endswith("_extra_state")]
    assert not missing and not unexpected, (missing, unexpected)


def tokens(vocab: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab, (BATCH, SEQ), generator=g)


@torch.no_grad()
def max_logit_diff(hf_model: torch.nn.Module, mcore: torch.nn.Module, vocab: int) -> tuple[float, float]:
    """(max |HF - megatron| over the first `vocab` logits, max |HF logit|) on the same tokens."""
    ids = tokens(vocab)
    ref = hf_model(input_ids=ids).logits.float()
    pos = torch.arange(SEQ).expand(BATCH, SEQ)
    ours = mcore(ids, pos, None)[..., :vocab].float()
    return float((ref - ours).abs().max()), float(ref.abs().max())


def unique_param_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in {id(p): p for p in model.parameters()}.values())


def load_yaml(text: str) -> dict:
    return yaml.safe_load(text)
