"""Real config.json files of many families: exact Megatron fields per HF semantics, published
parameter totals, variants with missing / legacy keys, and clear refusals of what is not mapped.

Each expectation names the transformers (or remote-code) behaviour it encodes, so a failure says
which HF semantics the mapping broke.
"""

from __future__ import annotations

import copy

import pytest
from hf_helpers import NOT_CAUSAL, UNSUPPORTED_FAMILY, accept_args, load, mapped, supported_repo_ids

from primus_tui.cli import main as cli_main
from primus_tui.hf import HFError, map_config, param_count_from_fields, param_count_from_hf
from primus_tui.hf.moe_layers import expand_freq

# Published / computed-from-the-checkpoint totals (HF parameter counts; embeddings counted once when tied).
PUBLISHED_TOTALS = {
    "meta-llama/Llama-3.1-70B-Instruct": 70_553_706_496,  # 70.6B
    "HuggingFaceTB/SmolLM2-1.7B": 1_711_376_384,  # 1.71B
    "mistralai/Mistral-7B-v0.3": 7_248_023_552,  # 7.25B
    "Qwen/Qwen2-1.5B": 1_543_714_304,  # 1.54B
    "Qwen/Qwen2.5-Coder-1.5B": 1_543_714_304,  # 1.54B
    "Qwen/Qwen2.5-32B": 32_763_876_352,  # 32.8B
    "Qwen/Qwen2.5-72B": 72_706_203_648,  # 72.7B
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B": 1_777_088_000,  # 1.78B (untied Qwen2-1.5B)
    "Qwen/Qwen3-235B-A22B": 235_093_634_560,  # 235B
    "Qwen/Qwen3-30B-A3B": 30_532_122_624,  # 30.5B
    "Qwen/Qwen2-57B-A14B": 57_408_658_944,  # 57.4B
    "deepseek-ai/DeepSeek-V2": 235_741_434_880,  # 236B
    "deepseek-ai/DeepSeek-V2-Lite": 15_706_484_224,  # 15.7B
    "deepseek-ai/DeepSeek-V2-Lite-Chat": 15_706_484_224,
    "moonshotai/Moonlight-16B-A3B": 15_960_108_544,  # "16B"
    "microsoft/phi-4": 14_659_507_200,  # 14.7B
    "huggyllama/llama-7b": 6_738_415_616,  # LLaMA-7B = Llama-2-7B shapes
    "openlm-research/open_llama_3b": 3_426_473_600,  # 3.43B
    "lmsys/vicuna-7b-v1.5-16k": 6_738_415_616,
    "LGAI-EXAONE/EXAONE-3.0-7.8B-Instruct": 7_818_448_896,  # 7.8B
}


@pytest.mark.parametrize("repo_id,total", sorted(PUBLISHED_TOTALS.items()))
def test_published_totals_both_analytic_counts(repo_id: str, total: int) -> None:
    data = load(repo_id)
    assert param_count_from_hf(data).total == total
    assert param_count_from_fields(map_config(data).fields).total == total


def _fields(repo_id: str) -> dict:
    m = map_config(load(repo_id))
    assert not m.unsupported, m.unsupported
    return m.fields


def _sub(fields: dict, expected: dict) -> dict:
    return {k: fields.get(k, "<absent>") for k in expected}


# ---------------------------------------------------------------- dense families

def test_llama31_70b_gqa_llama3_rope() -> None:
    f = _fields("meta-llama/Llama-3.1-70B-Instruct")
    expected = {"num_layers": 80, "hidden_size": 8192, "ffn_hidden_size": 28672, "num_attention_heads": 64,
                "group_query_attention": True, "num_query_groups": 8, "kv_channels": 128, "layernorm_epsilon": 1e-5,
                "rotary_base": 500000, "use_rope_scaling": True,
                "untie_embeddings_and_output_weights": True, "add_bias_linear": False, "add_qkv_bias": False,
                "max_position_embeddings": 131072, "vocab_size": 128256}
    assert _sub(f, expected) == expected


def test_smollm2_17b_tied_multi_head() -> None:
    f = _fields("HuggingFaceTB/SmolLM2-1.7B")
    expected = {"group_query_attention": False, "num_query_groups": 32, "kv_channels": 64, "rotary_base": 130000,
                "untie_embeddings_and_output_weights": False, "use_rope_scaling": False, "vocab_size": 49152}
    assert _sub(f, expected) == expected


def test_mistral_v03_sliding_window_null_is_full_attention() -> None:
    m = map_config(load("mistralai/Mistral-7B-v0.3"))
    assert m.fields["window_size"] is None and not m.notes
    assert (m.fields["rotary_base"], m.fields["vocab_size"], m.fields["num_query_groups"]) == (1000000, 32768, 8)


@pytest.mark.parametrize("repo_id,tied", [("Qwen/Qwen2-1.5B", True), ("Qwen/Qwen2.5-Coder-1.5B", True),
                                          ("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", False)])
def test_qwen2_small_models(repo_id: str, tied: bool) -> None:
    m = map_config(load(repo_id))
    f = m.fields
    # Qwen2Attention: q/k/v Linear(bias=True), o_proj bias=False; Qwen2MLP no bias.
    assert f["add_qkv_bias"] is True and f["add_bias_linear"] is False
    assert f["untie_embeddings_and_output_weights"] is (not tied)
    assert (f["num_query_groups"], f["kv_channels"], f["window_size"]) == (2, 128, None)
    assert "sliding_window" in m.ignored and "max_window_layers" in m.ignored  # use_sliding_window: false


def test_qwen25_large_norm_eps() -> None:
    for repo_id, eps in (("Qwen/Qwen2.5-32B", 1e-5), ("Qwen/Qwen2.5-72B", 1e-5), ("Qwen/Qwen2.5-7B", 1e-6)):
        f = _fields(repo_id)
        assert f["layernorm_epsilon"] == eps and f["kv_channels"] == 128 and f["num_query_groups"] in (4, 8)


def test_phi4_is_a_phi3_model_with_gqa() -> None:
    f = _fields("microsoft/phi-4")
    expected = {"num_query_groups": 10, "kv_channels": 128, "rotary_percent": 1.0, "rotary_base": 250000,
                "layernorm_epsilon": 1e-5, "hidden_dropout": 0.0, "window_size": None}
    assert _sub(f, expected) == expected


def test_exaone_is_llama_under_its_own_key_names() -> None:
    """EXAONE-3 (transformers builds LlamaForCausalLM): num_layers / layer_norm_epsilon /
    activation_function are ExaoneConfig's attribute_map spellings, named as written in the file."""
    m = map_config(load("LGAI-EXAONE/EXAONE-3.0-7.8B-Instruct"))
    assert not m.unsupported and m.family == "exaone"
    expected = {"num_layers": 32, "num_query_groups": 8, "kv_channels": 128, "layernorm_epsilon": 1e-5, "swiglu": True,
                "rotary_base": 500000, "untie_embeddings_and_output_weights": True, "add_qkv_bias": False}
    assert _sub(m.fields, expected) == expected
    assert (m.hf_source["num_layers"], m.hf_source["layernorm_epsilon"]) == ("num_layers", "layer_norm_epsilon")


def test_old_llama_without_kv_heads_rope_theta_or_attention_bias() -> None:
    m = map_config(load("huggyllama/llama-7b"))
    assert not m.unsupported
    assert m.fields["group_query_attention"] is False and m.fields["num_query_groups"] == 32
    assert m.fields["rotary_base"] == 10000 and m.hf_source["rotary_base"] == "rope_theta (HF default)"
    assert m.fields["layernorm_epsilon"] == 1e-6 and "max_sequence_length" in m.ignored


def test_open_llama_head_dim_100() -> None:
    f = _fields("openlm-research/open_llama_3b")
    assert f["kv_channels"] == 100 and f["hidden_size"] == 3200 and f["num_attention_heads"] == 32


def test_legacy_linear_rope_scaling_with_type_key() -> None:
    """LlamaLinearScalingRotaryEmbedding divides positions by factor; Megatron's GPTModel could
    (seq_len_interpolation_factor) but gpt_builder never passes it: a divergence, never a dead key."""
    m = map_config(load("lmsys/vicuna-7b-v1.5-16k"))
    (div,) = m.divergences
    assert (div.key, div.hf_value, div.megatron_value) == ("rotary_seq_len_interpolation_factor", 4.0, None)
    assert "rotary_seq_len_interpolation_factor" not in m.fields and m.fields["use_rope_scaling"] is False


# ---------------------------------------------------------------- MoE

def test_qwen3_235b_moe() -> None:
    f = _fields("Qwen/Qwen3-235B-A22B")
    expected = {"num_layers": 94, "num_experts": 128, "moe_router_topk": 8, "moe_ffn_hidden_size": 1536,
                "moe_layer_freq": 1, "moe_router_pre_softmax": False, "moe_shared_expert_intermediate_size": None,
                "qk_layernorm": True, "kv_channels": 128, "num_query_groups": 4, "num_attention_heads": 64,
                "add_qkv_bias": False, "moe_router_score_function": "softmax"}
    assert _sub(f, expected) == expected


def test_qwen2_57b_moe_shared_expert() -> None:
    f = _fields("Qwen/Qwen2-57B-A14B")
    expected = {"num_experts": 64, "moe_router_topk": 8, "moe_ffn_hidden_size": 2560,
                "moe_shared_expert_intermediate_size": 20480, "moe_shared_expert_gate": True,
                "moe_router_pre_softmax": True,  # norm_topk_prob false: softmax over all, top-k, no renorm
                "add_qkv_bias": True, "num_query_groups": 4, "window_size": None}
    assert _sub(f, expected) == expected


def test_moonlight_deepseek_v3_variant() -> None:
    f = _fields("moonshotai/Moonlight-16B-A3B")
    expected = {"multi_latent_attention": True, "q_lora_rank": None, "kv_lora_rank": 512, "qk_head_dim": 128,
                "qk_pos_emb_head_dim": 64, "v_head_dim": 128, "rope_type": "rope", "rotary_base": 50000,
                "num_experts": 64, "moe_router_topk": 6, "moe_ffn_hidden_size": 1408,
                "moe_shared_expert_intermediate_size": 2 * 1408, "moe_layer_freq": "([0]*1+[1]*26)",
                "moe_router_score_function": "sigmoid", "moe_router_enable_expert_bias": True,
                "moe_router_num_groups": None, "moe_router_group_topk": None,  # n_group 1: no group limit
                "moe_router_topk_scaling_factor": 2.446, "mtp_num_layers": None, "layernorm_epsilon": 1e-5}
    assert _sub(f, expected) == expected


def test_deepseek_r1_maps_like_v3() -> None:
    assert _fields("deepseek-ai/DeepSeek-R1") == _fields("deepseek-ai/DeepSeek-V3")


def test_deepseek_v2_full_only_its_group_routing_is_unsupported() -> None:
    """DeepSeek-V2 MoEGate group_limited_greedy: group score = max over the group; Megatron's
    group_limited_topk sums the top-(topk // group_topk) = top-2. Everything else maps."""
    m = map_config(load("deepseek-ai/DeepSeek-V2"))
    assert [k for k, _ in m.unsupported] == ["topk_method"]
    f = m.fields
    expected = {"q_lora_rank": 1536, "kv_lora_rank": 512, "num_experts": 160, "moe_router_topk": 6,
                "moe_shared_expert_intermediate_size": 3072, "moe_router_num_groups": 8, "moe_router_group_topk": 3,
                "moe_router_topk_scaling_factor": 16.0, "moe_router_pre_softmax": True,
                "moe_layer_freq": "([0]*1+[1]*59)", "mscale": 0.707, "mscale_all_dim": 0.707}
    assert _sub(f, expected) == expected


def _v3_like(**change) -> dict:
    data = copy.deepcopy(load("deepseek-ai/DeepSeek-V3"))
    data.update(change)
    return data


@pytest.mark.parametrize(("change", "unsupported"), [
    ({"num_experts_per_tok": 8, "topk_group": 4}, []),  # 8 // 4 = 2: HF's top-2 group sum
    ({"num_experts_per_tok": 6, "topk_group": 4}, ["topk_method"]),  # Megatron would rank by top-1
    ({"num_experts_per_tok": 8, "topk_group": 2}, ["topk_method"]),  # ... or by the top-4 sum
    ({"n_group": 1, "topk_group": 1, "num_experts_per_tok": 6}, []),  # one group: no group limit at all
])
def test_noaux_tc_group_ranking_must_match(change: dict, unsupported: list) -> None:
    assert [k for k, _ in map_config(_v3_like(**change)).unsupported] == unsupported


def test_sigmoid_without_renormalisation_only_matters_for_top_k_above_one() -> None:
    assert [k for k, _ in map_config(_v3_like(norm_topk_prob=False)).unsupported] == ["norm_topk_prob"]
    assert map_config(_v3_like(norm_topk_prob=False, num_experts_per_tok=1, n_group=1, topk_group=1)).unsupported == []


def test_native_transformers_deepseek_v3_config_maps_like_the_remote_code_one() -> None:
    """transformers' DeepseekV3Config writes qk_head_dim, head_dim (= qk_rope_head_dim) and
    rope_interleave, and has no topk_method / scoring_func keys (always noaux_tc + sigmoid)."""
    remote = load("deepseek-ai/DeepSeek-V3")
    native = {k: v for k, v in remote.items() if k not in ("topk_method", "scoring_func", "auto_map", "seq_aux",
                                                            "aux_loss_alpha", "ep_size")}
    native.update(qk_head_dim=192, head_dim=64, rope_interleave=True)
    m = map_config(native)
    assert not m.unsupported
    assert {"qk_head_dim", "head_dim", "rope_interleave"} <= set(m.ignored)
    same_keys = [k for k in m.fields if k not in ("moe_router_load_balancing_type", "moe_aux_loss_coeff")]
    assert {k: m.fields[k] for k in same_keys} == {k: map_config(remote).fields[k] for k in same_keys}
    bad = map_config({**native, "qk_head_dim": 128})
    assert [k for k, _ in bad.unsupported] == ["qk_head_dim"]


def test_deepseek_without_routed_experts_is_dense_mla() -> None:
    """DeepseekV2DecoderLayer builds DeepseekV2MLP on every layer when n_routed_experts is null."""
    data = {**load("deepseek-ai/DeepSeek-V2-Lite"), "n_routed_experts": None}
    m = map_config(data)
    assert not m.unsupported and m.fields["num_experts"] is None and m.fields["multi_latent_attention"] is True
    hf, mc = param_count_from_hf(data), param_count_from_fields(m.fields)
    assert hf.total == mc.total and hf.breakdown["moe"] == 0


# ---------------------------------------------------------------- HF class defaults for missing keys

@pytest.mark.parametrize(("repo_id", "key", "field", "value"), [
    ("microsoft/Phi-3-mini-4k-instruct", "rms_norm_eps", "layernorm_epsilon", 1e-5),  # Phi3Config rms_norm_eps=1e-5
    ("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "rms_norm_eps", "layernorm_epsilon", 1e-6),  # LlamaConfig 1e-6
    ("mistralai/Mixtral-8x7B-v0.1", "rms_norm_eps", "layernorm_epsilon", 1e-5),  # MixtralConfig 1e-5
    ("mistralai/Mixtral-8x7B-v0.1", "rope_theta", "rotary_base", 1000000),  # MixtralConfig 1e6
    ("Qwen/Qwen2.5-7B", "rope_theta", "rotary_base", 10000),  # Qwen2Config 10000
    ("deepseek-ai/DeepSeek-V3", "max_position_embeddings", "max_position_embeddings", 4096),  # DeepseekV3Config
    ("deepseek-ai/DeepSeek-V2-Lite", "max_position_embeddings", "max_position_embeddings", 2048),
    ("meta-llama/Llama-3.1-8B", "tie_word_embeddings", "untie_embeddings_and_output_weights", True),
    ("Qwen/Qwen2.5-7B", "tie_word_embeddings", "untie_embeddings_and_output_weights", True),
    ("Qwen/Qwen3-8B", "tie_word_embeddings", "untie_embeddings_and_output_weights", True),
    ("Qwen/Qwen3-8B", "head_dim", "kv_channels", 128),  # Qwen3Config head_dim=128
    ("mistralai/Mistral-7B-v0.1", "num_key_value_heads", "num_query_groups", 32),  # None -> MHA
])
def test_missing_key_takes_the_hf_config_class_default(repo_id: str, key: str, field: str, value: object) -> None:
    data = {k: v for k, v in load(repo_id).items() if k != key}
    m = map_config(data)
    assert not m.unsupported and m.fields[field] == value
    assert param_count_from_hf(data).total == param_count_from_fields(m.fields).total


def test_missing_torch_dtype_and_other_noise_change_nothing() -> None:
    data = load("Qwen/Qwen3-4B")
    bare = {k: v for k, v in data.items() if k not in ("torch_dtype", "transformers_version", "use_cache",
                                                        "bos_token_id", "eos_token_id", "architectures")}
    assert map_config(bare).fields == map_config(data).fields
    noisy = {**data, "_attn_implementation": "sdpa", "gradient_checkpointing": True, "unsloth_version": "2025.3",
             "max_sequence_length": 4096}
    m = map_config(noisy)
    assert not m.unsupported and m.fields == map_config(data).fields


# ---------------------------------------------------------------- RoPE scaling / activations / biases

@pytest.mark.parametrize(("scaling", "expect"), [
    ({"type": "linear", "factor": 2.0}, None),  # gpt_builder passes no seq_len_interpolation_factor
    ({"rope_type": "linear", "factor": 2.0}, None),
    ({"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
      "original_max_position_embeddings": 8192}, {"use_rope_scaling": True}),
    ({"type": "default"}, {"use_rope_scaling": False}),
    ({"type": "dynamic", "factor": 2.0}, None),  # dynamic NTK: no Megatron equivalent
    ({"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}, None),
    ({"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 32768}, None),
    ({"rope_type": "longrope", "long_factor": [1.0], "short_factor": [1.0]}, None),
])
@pytest.mark.parametrize("repo_id", ["TinyLlama/TinyLlama-1.1B-Chat-v1.0", "Qwen/Qwen2.5-7B", "mistralai/Mistral-7B-v0.3"])
def test_rope_scaling_kinds(repo_id: str, scaling: dict, expect: dict | None) -> None:
    m = map_config({**load(repo_id), "rope_scaling": scaling})
    if expect is None:
        assert [k.split(".")[0] for k, _ in m.unsupported] == ["rope_scaling"]
    else:
        assert not m.unsupported and _sub(m.fields, expect) == expect


@pytest.mark.parametrize(("act", "ok"), [("silu", True), ("swish", True), ("gelu", False),
                                         ("gelu_pytorch_tanh", False), ("gelu_new", False), ("relu", False)])
def test_gated_mlp_activation(act: str, ok: bool) -> None:
    m = mapped("meta-llama/Llama-3.2-1B", {**load("meta-llama/Llama-3.2-1B"), "hidden_act": act})
    assert (not m.unsupported) is ok and m.fields["swiglu"] is True
    if not ok:
        assert [k for k, _ in m.unsupported] == ["hidden_act"]


@pytest.mark.parametrize(("repo_id", "change", "result"), [
    # LlamaAttention: q/k/v/o bias = attention_bias; LlamaMLP: gate/up/down bias = mlp_bias.
    ("meta-llama/Llama-3.2-1B", {"attention_bias": True, "mlp_bias": True}, {"add_bias_linear": True, "add_qkv_bias": True}),
    ("meta-llama/Llama-3.2-1B", {"attention_bias": True}, "attention_bias"),
    ("meta-llama/Llama-3.2-1B", {"mlp_bias": True}, "mlp_bias"),
    # Qwen3Attention: attention_bias on q/k/v/o, Qwen3MLP never biased -> not expressible.
    ("Qwen/Qwen3-8B", {"attention_bias": True}, "attention_bias"),
    # Qwen2 ignores attention_bias (q/k/v biased, o_proj not, always).
    ("Qwen/Qwen2.5-7B", {"attention_bias": True}, {"add_bias_linear": False, "add_qkv_bias": True}),
])
def test_biases(repo_id: str, change: dict, result) -> None:
    data = {**load(repo_id), **change}
    m = mapped(repo_id, data)
    if isinstance(result, str):
        assert [k for k, _ in m.unsupported] == [result]
    else:
        assert not m.unsupported and _sub(m.fields, result) == result
        assert param_count_from_hf(data).total == param_count_from_fields(m.fields).total


def test_qwen3_moe_mlp_only_layers_count() -> None:
    data = {**load("Qwen/Qwen3-30B-A3B"), "num_hidden_layers": 6, "mlp_only_layers": [0, 5]}
    f = map_config(data).fields
    assert expand_freq(f["moe_layer_freq"], 6) == [0, 1, 1, 1, 1, 0]
    assert param_count_from_hf(data).total == param_count_from_fields(f).total


# ---------------------------------------------------------------- refusals

@pytest.mark.parametrize("repo_id", sorted(UNSUPPORTED_FAMILY))
def test_unsupported_family_names_only_its_model_type(repo_id: str) -> None:
    data = load(repo_id)
    m = map_config(data)
    assert [k for k, _ in m.unsupported] == ["model_type"] and repr(data["model_type"]) in m.unsupported[0][1]
    assert m.fields == {}
    with pytest.raises(HFError, match="cannot count parameters of model_type"):
        param_count_from_hf(data)


@pytest.mark.parametrize("repo_id", sorted(NOT_CAUSAL - {"google-bert/bert-base-uncased"}))
def test_multimodal_configs_are_not_causal_lms(repo_id: str) -> None:
    with pytest.raises(HFError, match=r"not a causal-LM config .*multimodal model"):
        map_config(load(repo_id))


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli_main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_imports_every_supported_fixture_and_refuses_the_rest(hf_cache, capsys) -> None:
    """In-process `primus-tui import` for every fixture: YAML + equal counts, or one error line."""
    from hf_helpers import all_repo_ids

    supported = set(supported_repo_ids())
    for repo_id in all_repo_ids():
        code, out, err = _cli(capsys, "import", repo_id, "--print", *accept_args(repo_id))
        lines = [line for line in err.splitlines() if line.strip()]
        if repo_id in supported:
            assert code == 0, (repo_id, err)
            assert out.startswith("# ") and "Traceback" not in err
            (counts,) = [line for line in lines if line.startswith("primus-tui: parameters:")]
            assert " = " in counts, (repo_id, counts)
        else:
            assert code == 2 and len(lines) == 1 and lines[0].startswith("primus-tui: error: "), (repo_id, err)
            assert out == ""
            if repo_id in NOT_CAUSAL:
                assert "not a causal-LM config" in lines[0]
            else:
                assert "cannot be expressed in Megatron fields" in lines[0], lines[0]
            if repo_id in UNSUPPORTED_FAMILY:
                assert "model_type" in lines[0] and ";" not in lines[0].split("fields: ", 1)[1].split(":", 1)[0]


def test_best_effort_family_summary_leads_with_model_type() -> None:
    m = map_config(load("google/gemma-2-9b"))
    summary = m.unsupported_summary()
    assert summary.startswith("model_type: Gemma-2") and "(also not expressible or not known: hidden_act" in summary
    assert summary.count("model_type") == 1


def test_yarn_on_standard_attention_says_it_is_not_mapped() -> None:
    m = map_config({**load("Qwen/Qwen3-8B"), "rope_scaling": {"rope_type": "yarn", "factor": 4.0,
                                                             "original_max_position_embeddings": 32768}})
    assert [k for k, _ in m.unsupported] == ["rope_scaling"] and "multi-latent attention only" in m.unsupported[0][1]
