"""Extraction rules on a tiny synthetic Megatron-LM + Primus pair, and regeneration of the real file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from primus_tui.megatron.build import build, render
from primus_tui.megatron.registry import BUNDLED, from_document

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "megatron_registry.py"
A, B = "a" * 40, "b" * 40


@pytest.fixture
def doc(fake_megatron: Path, fake_primus: Path) -> dict:
    return build(fake_megatron, fake_primus, A, B)


def test_literal_and_factory_dests(doc: dict) -> None:
    args = doc["args"]
    assert args["layernorm_epsilon"]["flags"] == ["--norm-epsilon"]
    assert args["num_layers"]["default"] is None  # argparse_meta default wins over the field's 0
    assert args["add_bias_linear"]["flags"] == ["--no-add-bias-linear", "--disable-add-bias-linear"]
    assert args["add_bias_linear"]["action"] == "store_false" and args["add_bias_linear"]["default"] is True
    assert args["sequence_parallel"]["action"] == "store_true"  # a ModelParallelConfig (base class) field
    assert args["normalization"]["choices"] == ["LayerNorm", "RMSNorm"] and args["normalization"]["type"] == "str"
    assert args["num_experts"]["type"] == "int"  # Optional[int] -> int
    assert args["rampup_batch_size"]["nargs"] == 3 and args["rampup_batch_size"]["type"] == "int"
    assert args["add_position_embedding"]["flags"] == ["--no-position-embedding"]
    assert args["add_position_embedding"]["default"] is True
    assert "hidden_dropout" not in args  # excluded through a local variable
    assert args["micro_batch_size"]["origin"] == "TrainingConfig"  # function-local import resolved
    assert args["lr"]["origin"] == "arguments.py:_add_training_args"


def test_config_gpt_and_primus_halves(doc: dict) -> None:
    assert doc["transformer_config"]["TransformerConfig"][:2] == ["tensor_model_parallel_size", "sequence_parallel"]
    assert doc["transformer_config"]["MLATransformerConfig"][-1] == "q_lora_rank"
    explicit = doc["transformer_config_explicit"]
    assert explicit["kwargs"]["gated_linear_unit"] == [{"value": "True", "when": "args.swiglu"}]
    assert explicit["condition_reads"] == ["multi_latent_attention", "swiglu"]
    gpt = doc["gpt_model"]
    assert gpt["from_args"]["max_sequence_length"]["dest"] == "max_position_embeddings"
    assert gpt["fixed"] == {"rope_scaling_factor": 8.0}
    assert gpt["spec_args"] == ["normalization", "num_experts"]
    primus = doc["primus"]
    assert primus["model_scoped"] == {"norm_epsilon": ["deepseek_v4"]}
    assert "disable_wandb" in primus["reads"] and "lr" not in primus["reads"]  # dests are Megatron's
    assert primus["declared"] == {"patch_moe_overlap": ["primus/configs/modules/megatron/trainer_base.yaml"]}
    assert primus["reserved"] == ["config", "framework", "model", "name"]
    assert primus["reads"]["work_group"] == ["primus/core/launcher/parser.py"]  # the allowlist


def test_missing_allowlist_is_an_error(fake_megatron: Path, fake_primus: Path) -> None:
    (fake_primus / "tools/ci/config_schema_allowlist.yaml").unlink()
    with pytest.raises(ValueError, match="config_schema_allowlist.yaml is missing"):
        build(fake_megatron, fake_primus, A, B)


def test_registry_modules_stay_pure() -> None:
    code = (
        "import sys, primus_tui.megatron.registry, primus_tui.megatron.liveness, primus_tui.megatron.build, "
        "primus_tui.megatron.report; print(' '.join(sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    top = {name.split(".")[0] for name in out.stdout.split()}
    assert not top & {"torch", "megatron", "textual"}


def test_render_is_deterministic_and_loads(doc: dict, fake_megatron: Path, fake_primus: Path) -> None:
    text = render(doc)
    assert text == render(build(fake_megatron, fake_primus, A, B)) and text.endswith("}\n")
    reg = from_document(json.loads(text), "mem")
    assert reg.megatron_lm_commit == A and reg.is_dest("layernorm_epsilon")


def test_tool_check_and_unknown_commit(tmp_path: Path, fake_megatron: Path, fake_primus: Path) -> None:
    out = tmp_path / "r.json"
    base = [sys.executable, str(TOOL), "--megatron", str(fake_megatron), "--primus", str(fake_primus), "--out", str(out)]
    proc = subprocess.run(base, capture_output=True, text=True)
    assert proc.returncode == 1 and "cannot tell the Megatron-LM commit" in proc.stderr and not out.exists()
    commits = ["--megatron-commit", A, "--primus-commit", B]
    assert subprocess.run([*base, *commits], capture_output=True).returncode == 0
    assert subprocess.run([*base, *commits, "--check"], capture_output=True).returncode == 0
    out.write_text(out.read_text().replace('"lr"', '"lr_"'))
    assert subprocess.run([*base, *commits, "--check"], capture_output=True).returncode == 1


@pytest.mark.skipif(
    not (os.environ.get("MEGATRON_SRC") and os.environ.get("PRIMUS_SRC")),
    reason="set MEGATRON_SRC (Megatron-LM at Primus's pin) and PRIMUS_SRC (a Primus tree with tools/ci) "
    "to regenerate the registry and compare it byte for byte",
)
def test_regeneration_is_byte_for_byte() -> None:
    committed = json.loads(BUNDLED.read_text(encoding="utf-8"))
    proc = subprocess.run(
        [sys.executable, str(TOOL), "--megatron", os.environ["MEGATRON_SRC"], "--primus", os.environ["PRIMUS_SRC"],
         "--megatron-commit", committed["megatron_lm_commit"], "--primus-commit", committed["primus_commit"],
         "--check"],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
