"""map_config: exact Megatron fields per model_type; every HF key accounted for."""

from __future__ import annotations


import pytest
from hf_helpers import (NOT_CAUSAL, UNSUPPORTED, UNSUPPORTED_FAMILY, all_repo_ids, load, mappable_repo_ids, mapped,
                        supported_repo_ids)

from primus_tui.hf import HFError, ModelMapping, map_config
from primus_tui.hf.keys import FIELD_ORDER, TRAP_KEYS


@pytest.mark.parametrize("repo_id", mappable_repo_ids())
def test_every_fixture_maps_and_every_key_is_accounted_for(repo_id: str) -> None:
    data = load(repo_id)
    m = map_config(data)
    assert isinstance(m, ModelMapping) and m.model_type == data["model_type"]
    unsupported_keys = {key.split(".")[0] for key, _ in m.unsupported}
    sourced = " ".join(m.hf_source.values())
    for key in data:
        accounted = key in m.ignored or key in unsupported_keys or key in sourced
        assert accounted, f"{repo_id}: HF key {key!r} is neither mapped, ignored nor unsupported"
    assert all(reason for reason in m.ignored.values())
    if repo_id in UNSUPPORTED_FAMILY:  # nothing but model_type is examined: no field is guessed
        assert m.fields == {} and [k for k, _ in m.unsupported] == ["model_type"]
        return
    assert TRAP_KEYS <= set(m.fields), sorted(TRAP_KEYS - set(m.fields))
    assert set(m.hf_source) == set(m.fields)
    order = [k for k in FIELD_ORDER if k in m.fields]
    assert list(m.fields) == order, "fields follow keys.FIELD_ORDER"


@pytest.mark.parametrize("repo_id", supported_repo_ids())
def test_supported_fixtures_have_nothing_unsupported(repo_id: str) -> None:
    assert mapped(repo_id).unsupported == []


@pytest.mark.parametrize("repo_id,key", sorted(UNSUPPORTED.items()))
def test_unsupported_features_are_reported(repo_id: str, key: str) -> None:
    m = map_config(load(repo_id))
    assert key in [k for k, _ in m.unsupported], m.unsupported
    assert all(why for _, why in m.unsupported)


@pytest.mark.parametrize("repo_id", sorted(NOT_CAUSAL))
def test_non_causal_config_is_rejected(repo_id: str) -> None:
    with pytest.raises(HFError, match="not a causal-LM config"):
        map_config(load(repo_id))


def test_tinyllama_exact_fields() -> None:
    f = map_config(load("TinyLlama/TinyLlama-1.1B-Chat-v1.0")).fields
    expected = {
        "num_layers": 22, "hidden_size": 2048, "ffn_hidden_size": 5632, "num_attention_heads": 32,
        "group_query_attention": True, "num_query_groups": 4, "kv_channels": 64, "max_position_embeddings": 2048,
        "vocab_size": 32000, "normalization": "RMSNorm", "layernorm_epsilon": 1e-5, "swiglu": True,
        "untie_embeddings_and_output_weights": True, "add_bias_linear": False, "add_qkv_bias": False,
        "qk_layernorm": False, "hidden_dropout": 0.0, "attention_dropout": 0.0, "init_method_std": 0.02,
        "position_embedding_type": "rope", "rotary_base": 10000, "rotary_percent": 1.0, "use_rope_scaling": False,
        "num_experts": None, "multi_latent_attention": False,
    }
    assert {k: f[k] for k in expected} == expected
    assert isinstance(f["rotary_base"], int)  # Megatron's --rotary-base is an int argument


def test_llama31_rope_scaling() -> None:
    m = map_config(load("meta-llama/Llama-3.1-8B"))
    assert m.fields["use_rope_scaling"] is True and "rope_scaling_factor" not in m.fields  # inert: never written
    assert m.fields["rotary_base"] == 500000 and m.fields["max_position_embeddings"] == 131072
    assert m.hf_source["use_rope_scaling"].startswith("rope_scaling.rope_type=llama3") and not m.divergences


def test_llama32_tied_and_factor_32_is_a_divergence() -> None:
    m = map_config(load("meta-llama/Llama-3.2-1B"))
    assert m.fields["untie_embeddings_and_output_weights"] is False and m.fields["kv_channels"] == 64
    (div,) = m.divergences
    assert (div.key, div.hf_key, div.hf_value, div.megatron_value) == ("rope_scaling_factor", "rope_scaling.factor", 32.0, 8.0)
    assert [k for k, _ in m.unsupported] == ["rope_scaling.factor"] and "--accept-divergence rope_scaling_factor" in m.unsupported[0][1]
    ok = map_config(load("meta-llama/Llama-3.2-1B"), accept=["rope_scaling_factor"])
    assert ok.unsupported == [] and ok.accepted == [div] and "rope_scaling_factor" not in ok.fields


def test_llama3_scaling_megatron_cannot_express() -> None:
    data = load("meta-llama/Llama-3.1-8B")
    data["rope_scaling"] = {**data["rope_scaling"], "high_freq_factor": 2.0}
    m = map_config(data)
    assert [k for k, _ in m.unsupported] == ["rope_scaling.high_freq_factor"] and "high_freq_factor 4" in m.unsupported[0][1]
    assert [d.key for d in m.divergences] == ["rope_high_freq_factor"]


def test_unknown_accepted_divergence_is_an_error_listing_the_acceptable_ones() -> None:
    with pytest.raises(HFError, match=r"rope_scaling_fctor: not a divergence of this model \(acceptable: rope_scaling_factor\)"):
        map_config(load("meta-llama/Llama-3.2-1B"), accept=["rope_scaling_fctor"])
    with pytest.raises(HFError, match="acceptable: none"):
        map_config(load("TinyLlama/TinyLlama-1.1B-Chat-v1.0"), accept=["rope_scaling_factor"])


def test_linear_rope_scaling_is_an_acceptable_divergence() -> None:
    data = {**load("TinyLlama/TinyLlama-1.1B-Chat-v1.0"), "rope_scaling": {"type": "linear", "factor": 4.0}}
    m = map_config(data, accept=["rotary_seq_len_interpolation_factor"])
    assert not m.unsupported and [d.hf_value for d in m.accepted] == [4.0]
    assert "rotary_seq_len_interpolation_factor" not in m.fields


def test_hf_class_defaults_for_missing_keys() -> None:
    m = map_config(load("meta-llama/Llama-2-7b-hf"))  # no rope_theta, attention_bias, head_dim
    assert m.fields["rotary_base"] == 10000 and m.hf_source["rotary_base"] == "rope_theta (HF default)"
    assert m.fields["group_query_attention"] is False and m.fields["num_query_groups"] == 32


def test_llama_default_rms_eps_is_1e6_when_missing() -> None:
    data = load("TinyLlama/TinyLlama-1.1B-Chat-v1.0")
    del data["rms_norm_eps"]
    assert map_config(data).fields["layernorm_epsilon"] == 1e-6


def test_mistral_sliding_window() -> None:
    m = map_config(load("mistralai/Mistral-7B-v0.1"))
    assert m.fields["window_size"] == [4095, 0] and m.hf_source["window_size"].startswith("sliding_window")
    assert any("4096" in note for note in m.notes)


def test_qwen2_qkv_bias_and_tying() -> None:
    small, big = map_config(load("Qwen/Qwen2.5-0.5B")).fields, map_config(load("Qwen/Qwen2.5-7B")).fields
    assert small["add_qkv_bias"] is True and small["add_bias_linear"] is False
    assert small["untie_embeddings_and_output_weights"] is False and big["untie_embeddings_and_output_weights"] is True
    assert big["num_query_groups"] == 4 and big["layernorm_epsilon"] == 1e-6 and big["rotary_base"] == 1000000
    assert small["window_size"] is None  # use_sliding_window: false


def test_qwen3_head_dim_and_qk_norm() -> None:
    f = map_config(load("Qwen/Qwen3-0.6B")).fields
    assert f["kv_channels"] == 128 and f["hidden_size"] == 1024 and f["num_attention_heads"] == 16
    assert f["qk_layernorm"] is True and f["add_qkv_bias"] is False
    assert f["untie_embeddings_and_output_weights"] is False


def test_mixtral_moe() -> None:
    f = map_config(load("mistralai/Mixtral-8x7B-v0.1")).fields
    assert (f["num_experts"], f["moe_router_topk"], f["moe_ffn_hidden_size"], f["moe_layer_freq"]) == (8, 2, 14336, 1)
    assert f["moe_router_pre_softmax"] is False and f["moe_aux_loss_coeff"] == 0.02
    assert f["moe_shared_expert_intermediate_size"] is None


def test_qwen2_moe_shared_expert() -> None:
    f = map_config(load("Qwen/Qwen1.5-MoE-A2.7B")).fields
    assert f["num_experts"] == 60 and f["moe_router_topk"] == 4 and f["moe_ffn_hidden_size"] == 1408
    assert f["moe_shared_expert_intermediate_size"] == 5632 and f["moe_shared_expert_gate"] is True
    assert f["moe_router_pre_softmax"] is True  # norm_topk_prob: false
    assert f["add_qkv_bias"] is True and f["group_query_attention"] is False


def test_qwen_sparse_step_and_mlp_only_layers() -> None:
    data = {**load("Qwen/Qwen3-30B-A3B"), "num_hidden_layers": 8, "decoder_sparse_step": 2, "mlp_only_layers": [7]}
    f = map_config(data).fields
    from primus_tui.hf.moe_layers import expand_freq

    assert expand_freq(f["moe_layer_freq"], 8) == [0, 1, 0, 1, 0, 1, 0, 0]


def test_qwen3_moe() -> None:
    f = map_config(load("Qwen/Qwen3-30B-A3B")).fields
    assert f["num_experts"] == 128 and f["moe_router_topk"] == 8 and f["moe_ffn_hidden_size"] == 768
    assert f["moe_router_pre_softmax"] is False and f["qk_layernorm"] is True and f["kv_channels"] == 128


def test_deepseek_v2_lite_mla_moe() -> None:
    f = map_config(load("deepseek-ai/DeepSeek-V2-Lite")).fields
    assert f["multi_latent_attention"] is True and f["q_lora_rank"] is None and f["kv_lora_rank"] == 512
    assert (f["qk_head_dim"], f["qk_pos_emb_head_dim"], f["v_head_dim"]) == (128, 64, 128)
    assert f["rope_type"] == "yarn" and f["rotary_scaling_factor"] == 40.0 and f["mscale_all_dim"] == 0.707
    assert f["moe_layer_freq"] == "([0]*1+[1]*26)" and f["num_experts"] == 64 and f["moe_router_topk"] == 6
    assert f["moe_shared_expert_intermediate_size"] == 2816 and f["moe_router_pre_softmax"] is True
    assert f["moe_router_load_balancing_type"] == "seq_aux_loss" and f["moe_router_num_groups"] is None


def test_deepseek_v3_routing_and_mtp() -> None:
    f = map_config(load("deepseek-ai/DeepSeek-V3")).fields
    assert f["moe_router_score_function"] == "sigmoid" and f["moe_router_enable_expert_bias"] is True
    assert (f["moe_router_num_groups"], f["moe_router_group_topk"], f["moe_router_topk_scaling_factor"]) == (8, 4, 2.5)
    assert f["moe_layer_freq"] == "([0]*3+[1]*58)" and f["mtp_num_layers"] == 1 and f["q_lora_rank"] == 1536


def test_deepseek_v2_group_limited_greedy_is_unsupported() -> None:
    data = {**load("deepseek-ai/DeepSeek-V2-Lite"), "topk_method": "group_limited_greedy", "n_group": 8, "topk_group": 3}
    assert "topk_method" in [k for k, _ in map_config(data).unsupported]


@pytest.mark.parametrize("change,key", [
    ({"attention_bias": True}, "attention_bias"),
    ({"hidden_act": "gelu"}, "hidden_act"),
    ({"brand_new_feature": 3}, "brand_new_feature"),
    ({"rope_scaling": {"rope_type": "dynamic", "factor": 2.0}}, "rope_scaling"),
])
def test_inexpressible_changes_are_unsupported(change: dict, key: str) -> None:
    m = map_config({**load("TinyLlama/TinyLlama-1.1B-Chat-v1.0"), **change})
    assert key in [k for k, _ in m.unsupported]


def test_attention_and_mlp_bias_together_map_to_add_bias_linear() -> None:
    f = map_config({**load("TinyLlama/TinyLlama-1.1B-Chat-v1.0"), "attention_bias": True, "mlp_bias": True}).fields
    assert f["add_bias_linear"] is True and f["add_qkv_bias"] is True


def test_unknown_key_with_empty_value_is_ignored_with_reason() -> None:
    m = map_config({**load("TinyLlama/TinyLlama-1.1B-Chat-v1.0"), "some_flag": False})
    assert "some_flag" in m.ignored and not m.unsupported


def test_unknown_model_type_is_unsupported_not_an_error() -> None:
    m = map_config({**load("TinyLlama/TinyLlama-1.1B-Chat-v1.0"), "model_type": "falcon", "architectures": ["FalconForCausalLM"]})
    assert m.unsupported[0][0] == "model_type" and "falcon" in m.unsupported[0][1]


def test_missing_required_key_is_one_line_error() -> None:
    data = load("TinyLlama/TinyLlama-1.1B-Chat-v1.0")
    del data["hidden_size"]
    with pytest.raises(HFError, match="hidden_size"):
        map_config(data)


def test_accepts_hfconfig_or_dict(hf_cache) -> None:
    from primus_tui.hf import fetch_config

    cfg = fetch_config("Qwen/Qwen3-8B")
    assert map_config(cfg).fields == map_config(cfg.data).fields


def test_every_emitted_key_is_a_megatron_argument() -> None:
    """Primus silently drops keys that are not argparse dests of Megatron's parser (the registry)."""
    from primus_tui.hf import megatron_facts as facts

    for repo_id in all_repo_ids():
        if repo_id in NOT_CAUSAL:
            continue
        unknown = {k for k in map_config(load(repo_id)).fields if not facts.is_dest(k)}
        assert not unknown, (repo_id, unknown)
