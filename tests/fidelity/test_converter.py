"""The HF -> megatron converter's own contract: fused-QKV layout, and loud failures naming every tensor at fault."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from primus_tui.weights.hf_to_mcore import convert_hf_to_mcore, plan_hf_to_mcore  # noqa: E402
from primus_tui.weights.layout import HFLayout  # noqa: E402
from primus_tui.weights.mla import rotate_half_to_interleaved  # noqa: E402
from primus_tui.weights.plan import ConversionError  # noqa: E402

H, HEADS, GROUPS, D, FFN, V = 8, 4, 2, 2, 6, 16
CONFIG = {"model_type": "llama", "num_hidden_layers": 1, "hidden_size": H, "num_attention_heads": HEADS,
          "num_key_value_heads": GROUPS, "tie_word_embeddings": False}


def _hf() -> dict[str, torch.Tensor]:
    p = "model.layers.0."
    rows = lambda n, base: torch.arange(base, base + n, dtype=torch.float32).unsqueeze(1).expand(n, H).clone()  # noqa: E731
    return {
        "model.embed_tokens.weight": torch.randn(V - 3, H), "model.norm.weight": torch.ones(H),
        "lm_head.weight": torch.randn(V - 3, H),
        p + "input_layernorm.weight": torch.ones(H), p + "post_attention_layernorm.weight": torch.ones(H),
        p + "self_attn.q_proj.weight": rows(HEADS * D, 0), p + "self_attn.k_proj.weight": rows(GROUPS * D, 100),
        p + "self_attn.v_proj.weight": rows(GROUPS * D, 200), p + "self_attn.o_proj.weight": torch.randn(H, HEADS * D),
        p + "mlp.gate_proj.weight": torch.randn(FFN, H), p + "mlp.up_proj.weight": torch.randn(FFN, H),
        p + "mlp.down_proj.weight": torch.randn(H, FFN),
    }


def _mcore() -> dict[str, object]:
    p = "decoder.layers.0."
    shapes = {
        "embedding.word_embeddings.weight": (V, H), "decoder.final_layernorm.weight": (H,), "output_layer.weight": (V, H),
        p + "input_layernorm.weight": (H,), p + "pre_mlp_layernorm.weight": (H,),
        p + "self_attention.linear_qkv.weight": ((HEADS + 2 * GROUPS) * D, H),
        p + "self_attention.linear_proj.weight": (H, HEADS * D),
        p + "mlp.linear_fc1.weight": (2 * FFN, H), p + "mlp.linear_fc2.weight": (H, FFN),
    }
    state: dict[str, object] = {k: torch.empty(s) for k, s in shapes.items()}
    state[p + "self_attention.linear_qkv._extra_state"] = None
    return state


def test_qkv_is_fused_per_query_group_and_vocab_is_padded() -> None:
    out = convert_hf_to_mcore(_hf(), _mcore(), CONFIG)
    qkv = out["decoder.layers.0.self_attention.linear_qkv.weight"][:, 0].tolist()
    # group 0: q heads 0-1, k head 0, v head 0; group 1: q heads 2-3, k head 1, v head 1 (D = 2 rows each)
    assert qkv == [0, 1, 2, 3, 100, 101, 200, 201, 4, 5, 6, 7, 102, 103, 202, 203]
    emb = out["embedding.word_embeddings.weight"]
    assert emb.shape == (V, H) and torch.equal(emb[V - 3:], torch.zeros(3, H))
    assert "decoder.layers.0.self_attention.linear_qkv._extra_state" not in out


def test_every_unfilled_missing_and_unused_tensor_is_named() -> None:
    hf = _hf()
    del hf["model.layers.0.mlp.up_proj.weight"]
    hf["model.layers.0.self_attn.mystery.weight"] = torch.zeros(1)
    mcore = _mcore()
    mcore["decoder.layers.0.mlp.unknown.weight"] = torch.empty(2)
    with pytest.raises(ConversionError) as err:
        convert_hf_to_mcore(hf, mcore, CONFIG)
    message = str(err.value)
    assert "left unfilled (1): decoder.layers.0.mlp.unknown.weight" in message
    assert "missing (1): model.layers.0.mlp.up_proj.weight" in message
    assert "unused (1): model.layers.0.self_attn.mystery.weight" in message


def test_shape_mismatches_are_collected() -> None:
    mcore = _mcore()
    mcore["decoder.layers.0.mlp.linear_fc2.weight"] = torch.empty(H, FFN + 1)
    mcore["decoder.final_layernorm.weight"] = torch.empty(H + 1)
    with pytest.raises(ConversionError, match=r"shape mismatches \(2\).*final_layernorm.*linear_fc2|"
                                              r"shape mismatches \(2\).*linear_fc2.*final_layernorm"):
        convert_hf_to_mcore(_hf(), mcore, CONFIG)


def test_plan_names_its_sources() -> None:
    plans = plan_hf_to_mcore(_hf(), [k for k in _mcore() if not k.endswith("_extra_state")], HFLayout.from_config(CONFIG))
    fc1 = next(p for p in plans if p.target.endswith("linear_fc1.weight"))
    assert fc1.sources == ("model.layers.0.mlp.gate_proj.weight", "model.layers.0.mlp.up_proj.weight")


def test_rotate_half_rope_rows_are_interleaved() -> None:
    assert rotate_half_to_interleaved(8).tolist() == [0, 4, 1, 5, 2, 6, 3, 7]
