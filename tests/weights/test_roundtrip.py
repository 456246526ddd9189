"""HF -> `primus-tui convert` -> the trainer's `load:` -> `primus-tui export` -> HF, for every weight layout.

Per family (dense, biases, qk-norm, tied, Mixtral / Qwen MoE with shared experts, DeepSeek MLA
with interleaved and rotate-half rope, V2-Lite without q LoRA): the trainer's model loaded from the
converted distributed checkpoint gives the HF model's loss on a fixed batch (fp32, rel < 1e-4);
the exported folder loads in transformers with the same logits; and every tensor comes back bit
for bit, with its name, shape and dtype.
"""

from __future__ import annotations

import functools
import json
import warnings
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("megatron.core")
transformers = pytest.importorskip("transformers")

import weights_helpers as wh  # noqa: E402

fh = wh.fh
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning", "ignore::FutureWarning")
TOLERANCE = 1e-4
# vocab 256: no padding rows, so the loss (whose softmax spans the padded vocab, as in Megatron) is HF's
BASE = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, intermediate_size=96,
            vocab_size=256, max_position_embeddings=64, initializer_range=0.1)
MOE = dict(intermediate_size=80, moe_intermediate_size=32, num_experts_per_tok=2)
MLA = dict(BASE, num_hidden_layers=2, num_key_value_heads=4, n_routed_experts=4, num_experts_per_tok=2,
           moe_intermediate_size=32, first_k_dense_replace=1, kv_lora_rank=32, qk_nope_head_dim=16, qk_rope_head_dim=8,
           v_head_dim=16, n_shared_experts=1, num_nextn_predict_layers=0)
CASES = {
    "llama_tied": ("LlamaConfig", dict(BASE, tie_word_embeddings=True)),
    "qwen2_bias": ("Qwen2Config", dict(BASE)),
    "qwen3_qknorm": ("Qwen3Config", dict(BASE, head_dim=32)),
    "mixtral": ("MixtralConfig", dict(BASE, num_local_experts=4, num_experts_per_tok=2)),
    "qwen2_moe_shared": ("Qwen2MoeConfig", dict(BASE, **MOE, num_experts=4, shared_expert_intermediate_size=48,
                                                norm_topk_prob=False, mlp_only_layers=[0])),
    "qwen3_moe": ("Qwen3MoeConfig", dict(BASE, **MOE, num_experts=4, norm_topk_prob=True, head_dim=16)),
    "deepseek_v3": ("DeepseekV3Config", dict(MLA, q_lora_rank=48, n_group=2, topk_group=1)),
    "deepseek_v3_rotate_half": ("DeepseekV3Config", dict(MLA, q_lora_rank=48, n_group=2, topk_group=1,
                                                         rope_interleave=False)),
    "deepseek_v2_lite": ("DeepseekV2Config", dict(MLA, q_lora_rank=None, topk_method="greedy", n_group=None,
                                                  topk_group=None, routed_scaling_factor=1.0)),
}


@pytest.fixture(scope="module")
def runtime():
    from primus_tui.trainer.runtime import init_runtime

    return init_runtime(seed=1234)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("weights")


@functools.cache
def converted(name: str, workdir: Path):
    """(HF model, its folder, checkpoint folder, merged args) for one case, converted once."""
    config_class, kwargs = CASES[name]
    folder = workdir / "hf" / name
    hf_model = fh.tiny_hf_model(getattr(transformers, config_class)(**kwargs), folder, seed=len(name))
    ckpt = workdir / "ckpt" / name
    wh.convert(folder, f"w_{name}", ckpt)
    manifest = json.loads((ckpt / "primus_tui/manifest.json").read_text())
    values = fh.resolve_values(fh.primus_root(workdir), f"w_{name}", manifest["model_yaml"])
    return hf_model, folder, ckpt, values


@pytest.mark.parametrize("name", list(CASES))
def test_convert_load_export_roundtrip(name: str, runtime, workdir: Path) -> None:
    hf_model, folder, ckpt, values = converted(name, workdir)
    assert (ckpt / "latest_checkpointed_iteration.txt").read_text() == "release"
    assert (ckpt / "release/metadata.json").is_file()  # megatron-core torch_dist

    model, said = wh.trainer_model(values, ckpt, finetune=True)
    assert said == [f" loading release distributed checkpoint from {ckpt}",
                    f"  successfully loaded checkpoint from {ckpt} [ t 1/1, p 1/1 ] at iteration 0"]
    ref, ours = wh.losses(hf_model, model, BASE["vocab_size"])
    print(f"{name}: HF loss {ref:.6f}, megatron loss {ours:.6f}")
    assert abs(ours - ref) / ref < TOLERANCE, (ref, ours)

    out = workdir / "export" / name
    code, stdout, stderr = wh.cli("export", str(ckpt), "--to", str(out))
    assert code == 0, stderr
    original, exported = wh.safetensors_dict(folder), wh.safetensors_dict(out)
    assert exported.keys() == original.keys()
    for key, tensor in original.items():  # bit for bit, same dtype
        assert exported[key].dtype == tensor.dtype and torch.equal(exported[key], tensor), key
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = transformers.AutoModelForCausalLM.from_pretrained(out, attn_implementation="eager").float().eval()
    ids = fh.tokens(BASE["vocab_size"])
    with torch.no_grad():
        diff = float((back(input_ids=ids).logits - hf_model(input_ids=ids).logits).abs().max())
    assert diff < TOLERANCE, diff


def test_a_wrong_mapping_fails_the_loss_comparison(runtime, workdir: Path) -> None:
    """The comparison can fail: the same checkpoint in a model with one translated arg broken."""
    hf_model, _, ckpt, values = converted("qwen2_bias", workdir)
    broken = {**values, "layernorm_epsilon": 1e-1}
    model, _ = wh.trainer_model(broken, ckpt, finetune=True)
    ref, ours = wh.losses(hf_model, model, BASE["vocab_size"])
    assert abs(ours - ref) / ref > 100 * TOLERANCE


def test_a_trainer_checkpoint_from_scratch_exports_with_hf_config(runtime, workdir: Path, monkeypatch) -> None:
    """No convert sidecar (a run from scratch): --hf-config names the HF layout, --config builds the model."""
    from primus_tui.trainer.checkpoint import save_checkpoint

    hf_model, folder, ckpt, values = converted("qwen3_qknorm", workdir)
    model, _ = wh.trainer_model(values, ckpt, finetune=True)
    scratch = workdir / "scratch_run"
    save_checkpoint(str(scratch), 7, {"iteration": 7, "model": model.state_dict(), "args": {}})
    root = fh.primus_root(workdir)
    monkeypatch.setenv("PRIMUS_CLI_ROOT", str(root))
    out = workdir / "export_scratch"
    code, _, err = wh.cli("export", str(scratch), "--to", str(out))
    assert code == 2 and "--hf-config REPO_OR_PATH and --config EXP.yaml" in err
    code, _, err = wh.cli("export", str(scratch), "--to", str(out), "--hf-config", str(folder),
                          "--config", str(root / "w_qwen3_qknorm-exp.yaml"))
    assert code == 0, err
    assert "from iteration 7" in err
    original, exported = wh.safetensors_dict(folder), wh.safetensors_dict(out)
    assert exported.keys() == original.keys() and all(torch.equal(exported[k], original[k]) for k in original)


def test_a_bf16_checkpoint_loads_into_the_fp32_trainer(runtime, workdir: Path) -> None:
    """`--dtype bf16` (the default) stores bf16; the CPU trainer's fp32 model gets those values exactly."""
    from megatron.core import dist_checkpointing

    hf_model, folder, _, values = converted("qwen2_bias", workdir)
    ckpt = workdir / "ckpt_bf16"
    code, _, err = wh.cli("convert", str(folder), "--name", "w_qwen2_bias", "--out", str(ckpt))
    assert code == 0, err
    stored = dist_checkpointing.load_tensors_metadata(str(ckpt / "release"))
    assert {t.dtype for t in stored.values()} == {torch.bfloat16}
    model, _ = wh.trainer_model(values, ckpt, finetune=True)
    ours = dict(model.named_parameters())["decoder.layers.1.mlp.linear_fc2.weight"]
    ref = hf_model.state_dict()["model.layers.1.mlp.down_proj.weight"]
    assert ours.dtype == torch.float32 and torch.equal(ours, ref.bfloat16().float())
