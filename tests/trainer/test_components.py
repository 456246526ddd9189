"""Trainer building blocks in-process on CPU: SDPA attention, the fp32-master AdamW, the bf16 path, LR schedule.

The bf16 test runs the exact GPU code path (Float16Module + megatron-core DDP with fp32 grads +
fp32 master weights) on the CPU, so what the H100 run uses is exercised even without a GPU.
"""

from __future__ import annotations

import math
import warnings

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("megatron.core")
warnings.filterwarnings("ignore", message=r".*(Apex|Transformer Engine).*")

from primus_tui.trainer.arch import architecture  # noqa: E402
from primus_tui.trainer.model import build_gpt, count_parameters, transformer_config  # noqa: E402
from primus_tui.trainer.optim import MixedPrecisionAdamW, lr_scheduler  # noqa: E402
from primus_tui.trainer.settings import TrainSettings  # noqa: E402

VALUES = {
    "num_layers": 2, "hidden_size": 64, "ffn_hidden_size": 176, "num_attention_heads": 4,
    "group_query_attention": True, "num_query_groups": 2, "normalization": "RMSNorm", "norm_epsilon": 1e-5,
    "swiglu": True, "position_embedding_type": "rope", "rotary_base": 10000,
    "untie_embeddings_and_output_weights": True, "add_bias_linear": False, "vocab_size": 512,
    "max_position_embeddings": 32,
    "seq_length": 32, "train_iters": 20, "micro_batch_size": 2, "global_batch_size": 2, "lr": 3e-3,
    "min_lr": 3e-4, "lr_warmup_iters": 2, "lr_decay_style": "cosine", "weight_decay": 0.01, "clip_grad": 1.0,
    "adam_beta1": 0.9, "adam_beta2": 0.95, "init_method_std": 0.02, "hidden_dropout": 0.0,
    "attention_dropout": 0.0,
}
B, S, V = 2, 32, 512
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")


@pytest.fixture(scope="module")
def runtime():
    from primus_tui.trainer.runtime import init_runtime

    return init_runtime(seed=1234)


def _batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, V, (B, S + 1), generator=g)
    return tokens[:, :-1], torch.arange(S).expand(B, S), tokens[:, 1:]


def _model(bf16=False, **change):
    arch = architecture({**VALUES, **change})
    config = transformer_config(arch, bf16=bf16, cpu_init=True)
    torch.manual_seed(0)
    return build_gpt(arch, config), config, arch


def test_sdpa_core_attention_matches_megatron_reference(runtime):
    from megatron.core.transformer.dot_product_attention import DotProductAttention

    from primus_tui.trainer.attention import SDPACoreAttention

    model, _, _ = _model()
    reference, _, _ = _model()
    reference.load_state_dict(model.state_dict())
    for layer in reference.decoder.layers:  # swap back to the local spec's unfused attention
        attn = layer.self_attention
        attn.core_attention = DotProductAttention(attn.config, attn.layer_number, attn.attn_mask_type, "self")
    assert isinstance(model.decoder.layers[0].self_attention.core_attention, SDPACoreAttention)
    tokens, pos, labels = _batch()
    causal = torch.triu(torch.ones(1, 1, S, S, dtype=torch.bool), diagonal=1)  # True = masked (megatron)
    ours = model(tokens, pos, causal, labels=labels)
    ref = reference(tokens, pos, causal, labels=labels)
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-5)


def test_parameter_count_counts_each_tensor_once(runtime):
    model, _, _ = _model()
    assert count_parameters(model).total == 158_016
    tied, _, _ = _model(untie_embeddings_and_output_weights=False)
    assert count_parameters(tied).total == 158_016 - 512 * 64


def test_fp32_step_equals_torch_adamw_with_clipping(runtime):
    settings = TrainSettings.from_values(VALUES)
    model, _, _ = _model()
    twin, _, _ = _model()
    twin.load_state_dict(model.state_dict())
    opt = MixedPrecisionAdamW(model, settings)
    assert all(m is p for m, p in zip(opt.masters, opt.model_params))  # fp32: no copies
    decay = [p for n, p in twin.named_parameters() if not (n.endswith(".bias") or p.dim() == 1)]
    no_decay = [p for n, p in twin.named_parameters() if n.endswith(".bias") or p.dim() == 1]
    ref = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-3, betas=(0.9, 0.95), eps=1e-8)
    opt.param_groups[0]["lr"] = opt.param_groups[1]["lr"] = 3e-3
    opt.param_groups[1]["weight_decay"] = 0.0
    tokens, pos, labels = _batch()
    for net in (model, twin):
        net(tokens, pos, None, labels=labels).mean().mul(100.0).backward()  # large grads: clipping kicks in
    result = opt.step()
    norm = torch.nn.utils.clip_grad_norm_(twin.parameters(), 1.0)
    ref.step()
    assert result.applied and math.isclose(result.grad_norm, float(norm), rel_tol=1e-5) and result.grad_norm > 1.0
    for a, b in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)


def test_bf16_path_keeps_fp32_masters_and_grads_and_learns(runtime):
    from primus_tui.trainer.pretrain import _wrap

    settings = TrainSettings.from_values({**VALUES, "lr_warmup_iters": 0})
    model, config, _ = _model(bf16=True)
    ddp = _wrap(model, config, runtime, bf16=True)
    opt = MixedPrecisionAdamW(ddp, settings)
    sched = lr_scheduler(opt, settings)
    assert all(p.dtype == torch.bfloat16 for p in opt.model_params)
    assert all(m.dtype == torch.float32 and m is not p for m, p in zip(opt.masters, opt.model_params))
    tokens, pos, labels = _batch()
    losses = []
    for _ in range(8):
        ddp.zero_grad_buffer()
        opt.zero_grad()
        loss = ddp(tokens, pos, None, labels=labels).float().mean()
        loss.backward()
        ddp.finish_grad_sync()
        assert all(p.main_grad.dtype == torch.float32 for p in opt.model_params)
        assert opt.step().applied
        sched.step(increment=settings.global_batch_size)
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.5, losses
    state = opt.inner.state[opt.masters[0]]
    assert state["exp_avg"].dtype == torch.float32
    for m, p in zip(opt.masters, opt.model_params):  # bf16 weights are the rounded fp32 masters
        assert torch.equal(p.detach(), m.detach().to(torch.bfloat16))


def test_lr_schedule_is_megatrons(runtime):
    settings = TrainSettings.from_values({**VALUES, "lr_warmup_iters": 4, "train_iters": 12, "min_lr": 1e-4})
    model, _, _ = _model()
    opt = MixedPrecisionAdamW(model, settings)
    sched = lr_scheduler(opt, settings)
    lrs = []
    for _ in range(12):
        sched.step(increment=settings.global_batch_size)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs[:4] == pytest.approx([0.75e-3, 1.5e-3, 2.25e-3, 3e-3])  # linear warmup (in samples)
    assert lrs[-1] == pytest.approx(1e-4)  # cosine down to min_lr at lr_decay_iters
    assert all(a >= b for a, b in zip(lrs[3:], lrs[4:]))
    assert opt.param_groups[1]["weight_decay"] == 0.0 and opt.param_groups[0]["weight_decay"] == 0.01


def test_moe_model_trains_on_the_local_spec(runtime):
    """megatron-core 0.16.1 without Transformer Engine needs init_runtime's te_general_gemm fix."""
    settings = TrainSettings.from_values({**VALUES, "lr_warmup_iters": 0})
    model, _, arch = _model(num_experts=4, moe_router_topk=2, moe_ffn_hidden_size=32, moe_aux_loss_coeff=0.01)
    assert arch.is_moe and count_parameters(model).total > 158_016 - 2 * 3 * 64 * 176
    opt = MixedPrecisionAdamW(model, settings)
    tokens, pos, labels = _batch()
    losses = []
    for _ in range(6):
        opt.zero_grad()
        loss = model(tokens, pos, None, labels=labels).mean()
        loss.backward()
        for p in opt.model_params:  # no DDP here: hand the grads over as main grads
            p.main_grad = p.grad if p.grad is not None else torch.zeros_like(p)
        assert opt.step().applied
        losses.append(loss.item())
    assert losses[-1] < losses[0], losses


@pytest.mark.parametrize(
    "change",
    [
        {"qk_layernorm": True},
        {"add_bias_linear": True, "add_qkv_bias": True},
        {"normalization": "LayerNorm", "swiglu": False, "position_embedding_type": "learned_absolute"},
        {"untie_embeddings_and_output_weights": False},
        {"rotary_percent": 0.5, "use_rope_scaling": True, "rope_scaling_factor": 8.0, "rotary_base": 500000},
        {"group_query_attention": False},
        {"kv_channels": 32},
    ],
    ids=["qk-layernorm", "biases", "gpt2-style", "tied", "rope-variants", "mha", "kv-channels"],
)
def test_architecture_variants_build_and_train(runtime, change):
    from primus_tui.hf import param_count_from_fields

    model, _, _ = _model(**change)
    tokens, pos, labels = _batch()
    loss = model(tokens, pos, None, labels=labels).mean()
    loss.backward()
    assert math.isfinite(loss.item())
    assert all(p.grad is not None for p in model.parameters())
    if change.get("position_embedding_type") == "learned_absolute":
        assert model.embedding.position_embeddings.weight.shape == (32, 64)
    analytic = param_count_from_fields({**VALUES, **change})
    assert count_parameters(model).total == analytic.total + analytic.vocab_padding
