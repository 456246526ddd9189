"""The bundled registry: derived facts about Megatron-LM at Primus's pin, and its loader's errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from megatron_fakes import OTHER_COMMIT, megatron_files, pin_megatron, write_tree

from primus_tui.megatron import registry as registry_mod
from primus_tui.megatron.errors import RegistryError
from primus_tui.megatron.registry import BUNDLED, load_registry, read_registry, registry_for_root

PINNED = "d3528a21301db2d12e92912b3ec025dc8a2ed4d6"


@pytest.fixture(scope="module")
def reg():
    return load_registry()


def test_commits_recorded(reg) -> None:
    assert reg.megatron_lm_commit == PINNED
    assert len(reg.primus_commit) == 40


def test_norm_epsilon_is_a_flag_not_a_dest(reg) -> None:
    assert reg.args["layernorm_epsilon"].flags == ("--norm-epsilon",)
    assert reg.args["layernorm_epsilon"].origin == "TransformerConfig"
    assert not reg.is_dest("norm_epsilon")


def test_rope_scaling_factor_is_fixed_in_gpt_model(reg) -> None:
    assert reg.is_dest("rope_scaling_factor")
    assert reg.gpt_fixed["rope_scaling_factor"] == 8.0
    assert "rope_scaling_factor" not in reg.gpt_from_args
    assert reg.gpt_from_args["max_sequence_length"] == "max_position_embeddings"
    assert reg.gpt_from_args["share_embeddings_and_output_weights"] == "untie_embeddings_and_output_weights"
    assert {"num_experts", "moe_grouped_gemm", "qk_layernorm", "multi_latent_attention", "normalization"} <= reg.gpt_spec_args


def test_config_fields_include_base_classes(reg) -> None:
    fields = reg.config_fields("TransformerConfig")
    assert {"tensor_model_parallel_size", "sequence_parallel", "hidden_size", "num_moe_experts"} <= set(fields)
    assert fields.index("tensor_model_parallel_size") < fields.index("hidden_size")  # base fields first
    mla = reg.config_fields("MLATransformerConfig")
    assert set(fields) < set(mla) and "q_lora_rank" in mla


def test_factory_flag_rules(reg) -> None:
    assert reg.args["add_bias_linear"].flags == ("--disable-bias-linear",)  # argparse_meta arg_names
    assert reg.args["add_bias_linear"].action == "store_false"
    assert reg.args["micro_batch_size"].type == "int" and reg.args["micro_batch_size"].origin == "TrainingConfig"
    assert reg.args["profile"].flags == ("--profile",)  # argparse_meta dest override
    assert "use_nsys_profiler" not in reg.args
    assert reg.args["attention_backend"].type == "AttnBackend" and "flash" in reg.args["attention_backend"].choices
    assert reg.args["rampup_batch_size"].nargs == 3
    assert reg.args["lr"].origin == "arguments.py:_add_learning_rate_args"


def test_explicit_kwargs(reg) -> None:
    assert reg.explicit["num_moe_experts"][0].value == "args.num_experts"
    assert {"swiglu", "squared_relu", "quick_geglu", "group_query_attention", "num_query_groups", "rope_type",
            "multi_latent_attention"} <= reg.explicit_reads


def test_counts_are_plausible(reg) -> None:
    assert 500 < len(reg.args) < 1000
    assert 200 < len(reg.config_fields("TransformerConfig")) < 400
    assert len(reg.primus_reads) > 500
    assert reg.primus_model_scoped["norm_epsilon"] == ("deepseek_v4",)
    assert {"name", "framework", "config", "model", "overrides", "params"} <= reg.reserved


def test_primus_widens_tokenizer_choices(reg) -> None:
    assert "Llama3Tokenizer" not in reg.args["tokenizer_type"].choices
    assert "Llama3Tokenizer" in reg.choices("tokenizer_type")


def test_committed_file_is_canonical_json() -> None:
    text = BUNDLED.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def test_corrupt_file_names_it(tmp_path: Path) -> None:
    bad = tmp_path / "registry.json"
    bad.write_text("{not json")
    with pytest.raises(RegistryError, match=r"registry\.json: Megatron registry is corrupt \(line 1"):
        read_registry(bad)
    bad.write_text(json.dumps({"format": 1}))
    with pytest.raises(RegistryError, match="corrupt .*KeyError"):
        read_registry(bad)


def test_missing_bundled_file_is_an_error_not_a_fallback(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(registry_mod, "BUNDLED", tmp_path / "gone.json")
    with pytest.raises(RegistryError, match="gone.json: Megatron registry file is missing"):
        registry_mod.load_registry()


def test_bundled_tree_and_none_give_bundled(reg) -> None:
    assert registry_for_root(None) is reg
    assert registry_for_root(Path(registry_mod.__file__).resolve().parents[2]) is reg


def test_checkout_pinning_same_commit_gives_bundled(tmp_path: Path, reg) -> None:
    root = write_tree(tmp_path / "primus", {"primus/configs/README.md": "x\n"})
    pin_megatron(root, PINNED)
    assert registry_for_root(root) is reg


def test_other_commit_without_source_is_one_line(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "primus", {"primus/configs/README.md": "x\n"})
    pin_megatron(root, OTHER_COMMIT)
    with pytest.raises(RegistryError) as info:
        registry_for_root(root)
    message = str(info.value)
    assert "\n" not in message
    assert "registry is for Megatron-LM d3528a2…; this checkout pins abc1230…" in message
    assert "git submodule update --init third_party/Megatron-LM" in message


def test_other_commit_with_source_is_extracted_and_cached(tmp_path: Path, fake_primus: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    primus = pin_megatron(fake_primus, OTHER_COMMIT)
    write_tree(fake_primus / "third_party/Megatron-LM", megatron_files())
    got = registry_for_root(fake_primus)
    cached = tmp_path / "cache/primus-tui" / f"registry-{OTHER_COMMIT}-{primus}.json"
    assert cached.is_file() and got.source == str(cached)
    assert got.megatron_lm_commit == OTHER_COMMIT and got.primus_commit == primus
    assert got.args["layernorm_epsilon"].flags == ("--norm-epsilon",)
    assert registry_for_root(fake_primus).args.keys() == got.args.keys()  # served from the cache


def test_not_a_git_checkout_uses_bundled_with_a_note(tmp_path: Path, reg) -> None:
    root = write_tree(tmp_path / "copy", {"primus/configs/README.md": "x\n"})
    got = registry_for_root(root)
    assert got.args is reg.args and "cannot tell which Megatron-LM commit" in (got.note or "")


def test_corrupt_cache_entry_is_rebuilt(tmp_path: Path, fake_primus: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    primus = pin_megatron(fake_primus, OTHER_COMMIT)
    write_tree(fake_primus / "third_party/Megatron-LM", megatron_files())
    cached = tmp_path / "cache/primus-tui" / f"registry-{OTHER_COMMIT}-{primus}.json"
    cached.parent.mkdir(parents=True)
    cached.write_text("torn")
    assert registry_for_root(fake_primus).is_dest("lr")
    json.loads(cached.read_text())
    shutil.rmtree(tmp_path / "cache")
