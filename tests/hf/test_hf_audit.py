"""audit_presets / `primus-tui audit`: Primus's presets against the HF configs they name."""

from __future__ import annotations

from pathlib import Path

import pytest
from hf_helpers import run_cli

from primus_tui.config import ConfigTree
from primus_tui.hf import audit_presets


def _by_name(results) -> dict:
    return {r.preset: r for r in results}


def _arch(result) -> dict:
    return {d.key: (d.preset_value, d.hf_value) for d in result.architecture}


@pytest.fixture(params=["bundled", "copy"])
def tree(request, primus_tree_copy: Path) -> ConfigTree:
    return ConfigTree.at(None if request.param == "bundled" else primus_tree_copy)


def test_known_drift_is_found(hf_cache, tree: ConfigTree) -> None:
    results = _by_name(audit_presets(tree))
    llama31, qwen25, llama32 = results["llama3.1_8B.yaml"], results["qwen2.5_7B.yaml"], results["llama3.2_1B.yaml"]
    assert llama31.status == "mismatch" and _arch(llama31)["use_rope_scaling"] == (False, True)
    assert qwen25.status == "mismatch" and _arch(qwen25)["add_qkv_bias"] == (False, True)
    assert llama32.status == "mismatch"
    assert _arch(llama32)["untie_embeddings_and_output_weights"] == (True, False)
    assert llama32.repo_id == "meta-llama/Llama-3.2-1B" and "Meta-Llama-3.2-1B" in llama32.message


def test_deliberate_choices_are_separate(hf_cache, tree: ConfigTree) -> None:
    results = _by_name(audit_presets(tree))
    llama32 = results["llama3.2_1B.yaml"]
    (ctx,) = [d for d in llama32.deliberate if d.key == "max_position_embeddings"]
    assert (ctx.preset_value, ctx.hf_value, ctx.note) == (8192, 131072, "shorter context than the HF model")
    mixtral = results["mixtral_8x7B_v0.1.yaml"]
    assert mixtral.status == "ok" and {d.key for d in mixtral.deliberate} >= {"max_position_embeddings", "init_method_std"}
    assert results["llama3_8B.yaml"].status == "ok" and results["llama3_8B.yaml"].divergences == []


def test_not_cached_is_skipped_not_an_error(hf_cache, tree: ConfigTree) -> None:
    results = _by_name(audit_presets(tree))
    assert results["llama3.1_70B.yaml"].status == "skipped (not cached)"
    assert not any(r.status == "error" for r in results.values())


def test_tokenizer_only_presets_are_skipped(hf_cache, tree: ConfigTree) -> None:
    results = _by_name(audit_presets(tree))
    assert results["gpt_oss_20B.yaml"].status == "skipped (tokenizer only)"
    assert results["zebra_llama_1B.yaml"].status == "skipped (tokenizer only)"


def test_explicit_pairing_and_presets(hf_cache, tree: ConfigTree) -> None:
    (result,) = audit_presets(tree, ["llama3.2_3B"], {"llama3.2_3B": "meta-llama/Llama-3.2-1B"})
    assert result.repo_id == "meta-llama/Llama-3.2-1B" and result.status == "mismatch"
    assert "num_layers" in _arch(result)
    (skipped,) = audit_presets(tree, ["language_model.yaml"])
    assert skipped.status == "skipped (no HF repo)"


def test_fixed_preset_passes(hf_cache, primus_tree_copy: Path) -> None:
    path = primus_tree_copy / "primus/configs/models/megatron/qwen2.5_7B.yaml"
    path.write_text(path.read_text() + "add_qkv_bias: true\nlayernorm_epsilon: 1.0e-06\n")
    (result,) = audit_presets(ConfigTree.at(primus_tree_copy), ["qwen2.5_7B.yaml"])
    assert result.status == "ok" and result.architecture == []


def test_audit_cli_exit_codes(hf_cache, primus_tree_copy: Path) -> None:
    proc = run_cli("audit", "--primus-root", str(primus_tree_copy))
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert "llama3.1_8B.yaml: mismatch (meta-llama/Llama-3.1-8B)" in out
    assert "architecture use_rope_scaling: preset false, HF true" in out
    assert "architecture add_qkv_bias: preset false, HF true" in out
    assert "architecture untie_embeddings_and_output_weights: preset true, HF false" in out
    assert "deliberate   max_position_embeddings: preset 8192, HF 131072" in out
    assert "llama3.1_70B.yaml: skipped (not cached)" in out and "Traceback" not in proc.stderr
    ok = run_cli("audit", "--primus-root", str(primus_tree_copy), "llama3_8B", "mixtral_8x7B_v0.1.yaml")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    paired = run_cli("audit", "--hf", "llama3.2_1B=meta-llama/Llama-3.2-1B", "llama3.2_1B")
    assert paired.returncode == 1 and "llama3.2_1B.yaml: mismatch" in paired.stdout


def test_audit_cli_empty_cache_skips_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proc = run_cli("audit", env={"HF_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "mismatch" not in proc.stdout and "skipped (not cached)" in proc.stdout


def test_audit_cli_bad_pair(hf_cache) -> None:
    from hf_helpers import assert_one_line_error

    assert_one_line_error(run_cli("audit", "--hf", "llama3.2_1B"), 2, "expected PRESET=REPO")


def test_audit_json(hf_cache) -> None:
    import json

    proc = run_cli("audit", "--json", "qwen2.5_7B")
    payload = json.loads(proc.stdout)
    assert proc.returncode == 1 and payload[0]["status"] == "mismatch"
    found = {d["key"]: d for d in payload[0]["divergences"]}
    assert found["add_qkv_bias"]["kind"] == "architecture" and found["layernorm_epsilon"]["kind"] == "architecture"


def test_dead_preset_key_hides_a_divergence(hf_cache) -> None:
    """Qwen presets set `norm_epsilon: 1.0e-6`, a key Megatron never reads (the dest is
    layernorm_epsilon): Megatron builds 1e-5 while the HF model has 1e-6."""
    (result,) = audit_presets(ConfigTree.at(None), ["qwen2.5_7B.yaml"])
    (eps,) = [d for d in result.architecture if d.key == "layernorm_epsilon"]
    assert (eps.preset_value, eps.hf_value) == (1e-5, 1e-6) and "norm_epsilon" in eps.note and "dead" in eps.note
    proc = run_cli("audit", "qwen2.5_7B")
    assert "architecture layernorm_epsilon: preset 1e-05, HF 1e-06 (from rms_norm_eps); the preset's norm_epsilon" in proc.stdout
