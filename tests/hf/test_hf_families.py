"""A family is one object in one table (issue 12, item 5): what the registry promises."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from hf_helpers import load
from primus_tui.hf import map_config, param_count_from_hf
from primus_tui.hf.families import FAMILIES, family_for, llama, preset_families, preset_family, related
from primus_tui.hf.families.base import Family
from primus_tui.hf.families.refused import PRESETS_ONLY

PACKAGE = Path(__file__).resolve().parents[2] / "primus_tui"


def test_one_table_keyed_by_model_type() -> None:
    assert all(name == fam.name and isinstance(fam, Family) for name, fam in FAMILIES.items())
    assert all(f.name in FAMILIES for f in llama.FAMILIES)  # a shape module's list is the registration


def test_no_family_name_literal_outside_the_family_objects() -> None:
    """Family knowledge is asked of the family object, never chosen by comparing names."""
    names = set(FAMILIES) | {p.name for p in PRESETS_ONLY}
    found = []
    for path in PACKAGE.rglob("*.py"):
        if "families" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names:
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value!r}")
    assert not found, found


def test_unknown_model_type_is_refused_naming_the_supported() -> None:
    fam = family_for("no_such_model")
    assert not fam.supported and not fam.countable
    assert "no verified mapping for model_type 'no_such_model' (supported: deepseek_v2, deepseek_v3, exaone, llama" \
        in fam.refusal


@pytest.mark.parametrize(("preset", "data", "family"), [
    ("qwen3_8B.yaml", {}, "qwen3"),
    ("qwen3_30B_A3B.yaml", {"num_experts": 128}, "qwen3_moe"),
    ("qwen2.5_7B.yaml", {}, "qwen2"),
    ("deepseek_r1_distill_qwen_1.5B.yaml", {}, "qwen2"),
    ("llama4_17B16E.yaml", {"num_experts": 16}, "llama4"),  # a preset-only family: not llama
    ("llama3.1_8B.yaml", {}, "llama"),
    ("language_model.yaml", {}, None),
])
def test_preset_family_from_the_families_prefixes(preset: str, data: dict, family: str | None) -> None:
    assert preset_family(preset, data) == family


def test_dense_and_moe_share_a_name_prefix() -> None:
    assert preset_families("qwen3_235B_A22B.yaml") == ("qwen3", "qwen3_moe")


def test_related_is_symmetric_and_not_reflexive() -> None:
    assert related("mistral", "llama") and related("llama", "mistral") and related("exaone", "llama")
    assert not related("llama", "llama") and not related("qwen3_moe", "qwen3") and not related(None, "llama")


def test_a_family_answers_mapping_and_count_alike() -> None:
    """The mapping and the HF count come from the same family object (EXAONE, through its aliases)."""
    data = load("LGAI-EXAONE/EXAONE-3.0-7.8B-Instruct")
    fam = family_for("exaone")
    assert map_config(data).family == fam.name
    assert fam.with_defaults(data)["num_hidden_layers"] == 32
    assert param_count_from_hf(data).total == 7_818_448_896


def test_tensor_renames_reach_llama_names() -> None:
    fam = family_for("exaone")
    assert fam.hf_tensor_name("transformer.h.3.attn.attention.out_proj.weight") == "model.layers.3.self_attn.o_proj.weight"
    assert fam.hf_tensor_name("model.layers.3.self_attn.o_proj.weight") == "model.layers.3.self_attn.o_proj.weight"
    assert family_for("llama").hf_tensor_name("transformer.h.0.ln_1.weight") == "transformer.h.0.ln_1.weight"


def test_deepseek_v2_always_interleaves_its_rope_channels() -> None:
    assert family_for("deepseek_v2").rope_interleaved({"rope_interleave": False}) is True
    assert family_for("deepseek_v3").rope_interleaved({"rope_interleave": False}) is False
