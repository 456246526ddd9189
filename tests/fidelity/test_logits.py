"""Exact to the network: the megatron-core model primus-tui builds from an imported YAML *is* the HF model.

For each supported family, a tiny random HF model (transformers' own config class, so the
config.json is what current transformers writes) goes through the product path — `primus-tui
import` -> Primus experiment merge -> trainer arch/model -> `primus_tui.weights` converter — and
its fp32 logits must match HF's to 1e-4. Negative tests show the comparison does fail when one
translated argument is wrong.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("megatron.core")
transformers = pytest.importorskip("transformers")
pytest.importorskip("safetensors")

import fidelity_helpers as fh  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")
TOLERANCE = 1e-4
# tiny but non-degenerate: 4 heads, GQA 2 groups, 2-3 layers; init std 0.1 so every layer moves the logits
BASE = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, intermediate_size=96,
            vocab_size=256, max_position_embeddings=64, initializer_range=0.1)
MOE = dict(intermediate_size=80, moe_intermediate_size=32, num_experts_per_tok=2)
MLA = dict(BASE, num_hidden_layers=3, num_key_value_heads=4, n_routed_experts=4, num_experts_per_tok=2, moe_intermediate_size=32,
           first_k_dense_replace=1, kv_lora_rank=32, qk_nope_head_dim=16, qk_rope_head_dim=8, v_head_dim=16,
           n_shared_experts=1, num_nextn_predict_layers=0, max_position_embeddings=64)
# Megatron's MLA YaRN has no argument for original_max_position_embeddings: the import accepts only its 4096
YARN = {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0, "original_max_position_embeddings": 4096,
        "beta_fast": 32, "beta_slow": 1, "mscale": 1.0, "mscale_all_dim": 1.0}


@dataclass(frozen=True)
class Case:
    name: str
    config_class: str
    kwargs: dict
    marks: tuple = field(default_factory=tuple)
    respell: dict = field(default_factory=dict)  # config.json key -> the spelling original checkpoints write


CASES = [
    Case("llama", "LlamaConfig", BASE),
    Case("llama_tied_mha", "LlamaConfig", dict(BASE, num_key_value_heads=4, tie_word_embeddings=True, vocab_size=250)),
    Case("llama_bias", "LlamaConfig", dict(BASE, attention_bias=True, mlp_bias=True)),
    Case("llama3_rope", "LlamaConfig", dict(BASE, rope_parameters={
        "rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192})),
    # EXAONE-3 is LlamaForCausalLM; its Hub config.json spells three keys as ExaoneConfig's attribute_map
    Case("exaone", "ExaoneConfig", dict(BASE, eos_token_id=2, rms_norm_eps=1e-6), respell={
        "num_hidden_layers": "num_layers", "rms_norm_eps": "layer_norm_epsilon", "hidden_act": "activation_function"}),
    Case("mistral_window", "MistralConfig", dict(BASE, sliding_window=8)),
    Case("qwen2", "Qwen2Config", dict(BASE)),
    Case("qwen3", "Qwen3Config", dict(BASE, head_dim=32)),
    Case("mixtral", "MixtralConfig", dict(BASE, num_local_experts=4, num_experts_per_tok=2)),
    Case("qwen2_moe", "Qwen2MoeConfig", dict(BASE, **MOE, num_experts=4, shared_expert_intermediate_size=48,
                                             norm_topk_prob=False, mlp_only_layers=[0], num_hidden_layers=3)),
    Case("qwen3_moe", "Qwen3MoeConfig", dict(BASE, **MOE, num_experts=4, norm_topk_prob=True, head_dim=16)),
    Case("deepseek_v3", "DeepseekV3Config", dict(MLA, q_lora_rank=48, n_group=2, topk_group=1)),
    Case("deepseek_v3_yarn", "DeepseekV3Config", dict(MLA, q_lora_rank=48, n_group=2, topk_group=1,
                                                       rope_parameters=YARN, max_position_embeddings=16384)),
    # rotate-half rope channels: the converter interleaves the rope rows (megatron MLA de-interleaves them)
    Case("deepseek_v3_rotate_half", "DeepseekV3Config", dict(MLA, q_lora_rank=48, n_group=2, topk_group=1,
                                                              rope_interleave=False)),
    Case("deepseek_v2_lite", "DeepseekV2Config", dict(MLA, q_lora_rank=None, topk_method="greedy", n_group=None,
                                                       topk_group=None, routed_scaling_factor=1.0)),
]
BY_NAME = {c.name: c for c in CASES}


@pytest.fixture(scope="module")
def runtime():
    from primus_tui.trainer.runtime import init_runtime

    return init_runtime(seed=1234)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fidelity")


@functools.cache
def _hf_side(name: str, workdir: Path) -> tuple[fh.Built | None, str]:
    """HF model saved + imported + resolved, built once per case; (None, refusal) when the import refuses."""
    case = BY_NAME[name]
    config = getattr(transformers, case.config_class)(**case.kwargs)
    folder = workdir / "hf" / name
    model = fh.tiny_hf_model(config, folder, seed=len(name))
    if case.respell:
        fh.respell_config(folder, case.respell)
    try:
        text, diagnostics = fh.import_model_yaml(folder, f"fid_{name}")
    except fh.ImportRefused as exc:
        return None, str(exc)
    values = fh.resolve_values(fh.primus_root(workdir), f"fid_{name}", text)
    return fh.Built(name, model, folder, fh.load_yaml(text), diagnostics, values, vocab_size=config.vocab_size), ""


def _built(name: str, workdir: Path) -> fh.Built:
    built, refusal = _hf_side(name, workdir)
    if built is None:
        pytest.fail(f"primus-tui import refused the transformers-written config: {refusal}")
    if built.mcore is None:
        built.mcore = fh.build_mcore(built.values)
        fh.load_converted(built.mcore, built.hf_folder)
    return built


def _param(case: Case):
    return pytest.param(case.name, id=case.name, marks=list(case.marks))


@pytest.mark.parametrize("name", [_param(c) for c in CASES])
def test_logits_match_hf(name: str, runtime, workdir: Path) -> None:
    built = _built(name, workdir)
    diff, scale = fh.max_logit_diff(built.hf_model, built.mcore, built.vocab_size)
    print(f"{name}: max |logit diff| {diff:.2e} (max |logit| {scale:.2f})")
    assert scale > 0.5  # the test models produce non-trivial logits
    assert diff < TOLERANCE, f"{name}: max |HF - megatron| logit diff {diff:.3e}"
    hf_count = built.hf_model.num_parameters()
    padding = (built.mcore.embedding.word_embeddings.weight.shape[0] - built.vocab_size) * BASE["hidden_size"]
    tied = built.hf_model.config.tie_word_embeddings
    assert fh.unique_param_count(built.mcore) - padding * (1 if tied else 2) == hf_count


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_import_reports_the_hf_parameter_count(name: str, workdir: Path) -> None:
    """The count `primus-tui import` prints from config.json is the real HF model's."""
    built, refusal = _hf_side(name, workdir)
    if built is None:
        pytest.fail(refusal)
    count = f"{built.hf_model.num_parameters():,}"
    assert f"parameters: {count} (HF config) = {count} (Megatron fields)" in built.diagnostics, built.diagnostics


# ---------------------------------------------------------------- the comparison can fail

def _with_changed_args(name: str, workdir: Path, **change) -> float:
    built = _built(name, workdir)
    other = fh.build_mcore({**built.values, **change})
    other.load_state_dict(built.mcore.state_dict())
    diff, _ = fh.max_logit_diff(built.hf_model, other, built.vocab_size)
    print(f"{name} with {change}: max |logit diff| {diff:.2e}")
    return diff


def test_dropping_the_sliding_window_breaks_mistral(runtime, workdir: Path) -> None:
    assert _built("mistral_window", workdir).values["window_size"] == [7, 0]
    assert _with_changed_args("mistral_window", workdir, window_size=None) > 100 * TOLERANCE


@pytest.mark.parametrize("name, pre_softmax", [
    pytest.param("qwen2_moe", True, id="qwen2_moe"),  # norm_topk_prob false: softmax over all experts, no renorm
    pytest.param("qwen3_moe", False, id="qwen3_moe"),  # norm_topk_prob true: renormalised top-k
])
def test_flipping_the_router_softmax_breaks_moe(name: str, pre_softmax: bool, runtime, workdir: Path) -> None:
    assert _built(name, workdir).values["moe_router_pre_softmax"] is pre_softmax
    assert _with_changed_args(name, workdir, moe_router_pre_softmax=not pre_softmax) > 100 * TOLERANCE


def test_dropping_the_yarn_scaling_breaks_deepseek_v3(runtime, workdir: Path) -> None:
    assert _built("deepseek_v3_yarn", workdir).values["rope_type"] == "yarn"
    assert _with_changed_args("deepseek_v3_yarn", workdir, rope_type="rope") > 100 * TOLERANCE


def test_linear_rope_scaling_is_refused(workdir: Path) -> None:
    """Megatron's GPTModel never receives rotary_seq_len_interpolation_factor: the import must refuse."""
    config = transformers.LlamaConfig(**BASE, rope_parameters={"rope_type": "linear", "rope_theta": 10000.0,
                                                                "factor": 4.0})
    folder = workdir / "hf" / "llama_linear_rope"
    config.save_pretrained(folder)
    with pytest.raises(fh.ImportRefused, match="rotary_seq_len_interpolation_factor"):  # names the divergence
        fh.import_model_yaml(folder, "fid_llama_linear_rope")


def test_llama3_rope_scaling_is_applied(runtime, workdir: Path) -> None:
    assert _built("llama3_rope", workdir).values["use_rope_scaling"] is True
    assert _with_changed_args("llama3_rope", workdir, use_rope_scaling=False) > 10 * TOLERANCE


@pytest.mark.parametrize("name", ["mixtral", "qwen3_moe", "llama_tied_mha"])
def test_fused_in_memory_experts_convert_like_the_saved_files(name: str, runtime, workdir: Path) -> None:
    """transformers 5 fuses experts in memory (experts.gate_up_proj [E, 2F, H]) and lists a tied lm_head;
    save_pretrained writes experts one by one (Mixtral: block_sparse_moe.experts.E.w1/w3/w2) and drops the
    tied head. Both must give the same megatron tensors."""
    from primus_tui.weights.hf_to_mcore import convert_hf_to_mcore

    built = _built(name, workdir)
    in_memory = built.hf_model.state_dict()
    assert any(k.endswith("experts.gate_up_proj") for k in in_memory) or "lm_head.weight" in in_memory
    converted = convert_hf_to_mcore(in_memory, built.mcore.state_dict(), built.hf_model.config.to_dict())
    reference = built.mcore.state_dict()
    assert converted.keys() == {k for k in reference if not k.endswith("_extra_state")}
    assert all(torch.equal(converted[k], reference[k]) for k in converted)


def test_wrong_norm_epsilon_breaks_qwen2(runtime, workdir: Path) -> None:
    """rms_norm_eps 1e-6 must reach megatron as layernorm_epsilon (Megatron's default is 1e-5)."""
    assert _built("qwen2", workdir).values["layernorm_epsilon"] == 1e-6
    assert _with_changed_args("qwen2", workdir, layernorm_epsilon=1e-5, norm_epsilon=1e-5) > 10 * TOLERANCE


def test_wrong_norm_epsilon_breaks_exaone(runtime, workdir: Path) -> None:
    """The file's layer_norm_epsilon 1e-6 (ExaoneConfig's spelling of rms_norm_eps, whose class
    default is 1e-5) must reach megatron: reading the default instead changes the logits."""
    assert _built("exaone", workdir).values["layernorm_epsilon"] == 1e-6
    assert _with_changed_args("exaone", workdir, layernorm_epsilon=1e-5, norm_epsilon=1e-5) > 10 * TOLERANCE
