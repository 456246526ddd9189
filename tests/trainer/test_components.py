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
    "group_query_attention": True, "num_query_groups": 2, "normalization": "RMSNorm", "layernorm_epsilon": 1e-5,
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



MOE = {"num_experts": 4, "moe_router_topk": 2, "moe_ffn_hidden_size": 32}


def _analytic(values):
    from primus_tui.hf import param_count_from_fields

    analytic = param_count_from_fields({**VALUES, **values})
    return analytic.total + analytic.vocab_padding


@pytest.mark.parametrize("freq", [[0, 1], "([0]*1+[1]*1)"], ids=["list", "string"])
def test_moe_layer_freq_builds_dense_and_moe_layers(runtime, freq):
    from megatron.core.transformer.mlp import MLP
    from megatron.core.transformer.moe.moe_layer import MoELayer

    from primus_tui.trainer.attention import SDPACoreAttention

    change = {**MOE, "moe_layer_freq": freq}
    model, _, _ = _model(**change)
    dense, moe = (layer.mlp for layer in model.decoder.layers)
    assert type(dense) is MLP and dense.linear_fc1.weight.shape == (2 * 176, 64)  # ffn_hidden_size, SwiGLU
    assert isinstance(moe, MoELayer) and len(moe.experts.local_experts) == 4
    assert all(isinstance(layer.self_attention.core_attention, SDPACoreAttention) for layer in model.decoder.layers)
    assert count_parameters(model).total == _analytic(change)
    all_moe, _, _ = _model(**MOE)
    assert all(isinstance(layer.mlp, MoELayer) for layer in all_moe.decoder.layers)
    assert count_parameters(all_moe).total == _analytic(MOE) != count_parameters(model).total
    tokens, pos, labels = _batch()
    loss = model(tokens, pos, None, labels=labels).mean()
    loss.backward()
    assert math.isfinite(loss.item()) and all(p.grad is not None for p in model.parameters())


def test_qwen2_moe_shared_expert_gate_is_built(runtime):
    shared = {**MOE, "moe_shared_expert_intermediate_size": 48}
    ungated, _, _ = _model(**shared)
    gated, _, _ = _model(**shared, moe_shared_expert_gate=True)
    gate = gated.decoder.layers[0].mlp.shared_experts.gate_weight
    assert gate.shape == (1, 64) and ungated.decoder.layers[0].mlp.shared_experts.gate_weight is None
    assert count_parameters(gated).total == count_parameters(ungated).total + 2 * 64
    assert count_parameters(gated).total == _analytic({**shared, "moe_shared_expert_gate": True})
    tokens, pos, labels = _batch()
    gated(tokens, pos, None, labels=labels).mean().backward()
    assert gate.grad is not None and gate.grad.abs().sum() > 0


def _reference_attention(q, k, v, allowed, scale):
    """Explicit masked softmax attention: [s, b, h, d] in, [s, b, h * d] out; allowed [sq, sk] (True = attend)."""
    rep = q.shape[2] // k.shape[2]
    k, v = k.repeat_interleave(rep, dim=2), v.repeat_interleave(rep, dim=2)
    scores = torch.einsum("sbhd,tbhd->bhst", q, k) * scale
    scores = scores.masked_fill(~allowed, float("-inf"))
    out = torch.einsum("bhst,tbhd->sbhd", scores.softmax(-1), v)
    return out.reshape(out.shape[0], out.shape[1], -1)


def _band(sq, sk, left):
    """True = attend: key j visible from query i when i - left <= j <= i (explicit double loop)."""
    return torch.tensor([[i - left <= j <= i for j in range(sk)] for i in range(sq)])


def test_sliding_window_mask_semantics():
    from primus_tui.trainer.attention import sliding_window_mask

    assert sliding_window_mask(8, 8, (7, 0), causal=True) is None  # window covers the sequence: fast path
    assert sliding_window_mask(8, 8, (-1, 0), causal=True) is None
    assert torch.equal(sliding_window_mask(8, 8, (3, 0), causal=True), _band(8, 8, 3))
    assert torch.equal(sliding_window_mask(8, 8, (3, 5), causal=True), _band(8, 8, 3))  # causal: right = 0
    two_sided = sliding_window_mask(6, 6, (1, 1), causal=False)
    assert torch.equal(two_sided, torch.tensor([[abs(i - j) <= 1 for j in range(6)] for i in range(6)]))
    # queries aligned to the end of the keys (flash / TE convention)
    assert torch.equal(sliding_window_mask(2, 6, (2, 0), causal=True), _band(6, 6, 2)[4:])


@pytest.mark.parametrize("left", [3, 8, 31])
def test_sdpa_sliding_window_matches_explicit_reference(runtime, left):
    from megatron.core.transformer.enums import AttnMaskType

    from primus_tui.trainer.attention import SDPACoreAttention

    _, config, _ = _model(window_size=[left, 0])
    attn = SDPACoreAttention(config, 1, AttnMaskType.causal, "self")
    g = torch.Generator().manual_seed(left)
    q = torch.randn(S, B, 4, 16, generator=g)
    k, v = torch.randn(S, B, 2, 16, generator=g), torch.randn(S, B, 2, 16, generator=g)
    ours = attn(q, k, v, None)
    ref = _reference_attention(q, k, v, _band(S, S, left), 0.25)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)
    full = _reference_attention(q, k, v, _band(S, S, S), 0.25)
    if left < S - 1:
        assert not torch.allclose(ours, full, atol=1e-3)  # the window changes the result
    else:
        torch.testing.assert_close(ours, full, rtol=1e-5, atol=1e-5)


def test_sliding_window_model_matches_explicit_reference(runtime):
    """Whole model: SDPA with window_size vs the same weights with an explicit banded softmax in every layer."""
    from primus_tui.trainer.attention import SDPACoreAttention

    class Reference(torch.nn.Module):
        def __init__(self, allowed):
            super().__init__()
            self.allowed = allowed

        def forward(self, query, key, value, attention_mask=None, **_):
            return _reference_attention(query, key, value, self.allowed, 0.25)

    tokens, pos, labels = _batch()
    model, _, _ = _model(window_size=[7, 0], window_attn_skip_freq=[1, 0])  # layer 2 keeps full attention
    windows = [layer.self_attention.core_attention.window_size for layer in model.decoder.layers]
    assert windows == [(7, 0), None]
    reference, _, _ = _model()
    reference.load_state_dict(model.state_dict())
    for layer, allowed in zip(reference.decoder.layers, (_band(S, S, 7), _band(S, S, S))):
        layer.self_attention.core_attention = Reference(allowed)
    ours = model(tokens, pos, None, labels=labels)
    torch.testing.assert_close(ours, reference(tokens, pos, None, labels=labels), rtol=1e-4, atol=1e-5)
    plain, _, _ = _model()
    plain.load_state_dict(model.state_dict())
    assert not torch.allclose(ours, plain(tokens, pos, None, labels=labels), atol=1e-3)
    covering, _, _ = _model(window_size=[S - 1, 0])  # the window covers the sequence: same as full attention
    covering.load_state_dict(model.state_dict())
    torch.testing.assert_close(covering(tokens, pos, None, labels=labels), plain(tokens, pos, None, labels=labels))
    assert isinstance(covering.decoder.layers[0].self_attention.core_attention, SDPACoreAttention)
