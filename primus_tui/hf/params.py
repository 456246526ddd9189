"""Analytic parameter counts, from the HF config and from the Megatron fields.

The two are computed independently (HF key names and HF module layout on one side, Megatron
arguments and megatron-core's module layout on the other), so their agreement checks the
mapping. The HF side's per-family rules live in the family objects (`families`, `hf_body`).
Vocabulary padding (Megatron pads the embedding to `make_vocab_size_divisible_by x TP`)
is reported as `vocab_padding`, never folded into `total`. DeepSeek-V3's router correction bias
is a Parameter in HF but a buffer in Megatron; it is left out of both totals (breakdown notes it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from primus_tui.hf.errors import HFError
from primus_tui.hf.families import family_for
from primus_tui.hf.moe_layers import expand_freq


@dataclass
class ParamCount:
    total: int
    embedding: int
    output_layer: int
    non_embedding: int
    vocab_padding: int = 0
    breakdown: dict[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------- HF side

def param_count_from_hf(data: dict) -> ParamCount:
    """Count the parameters of the HF model a config.json describes (HF module layout)."""
    try:
        return _hf_count(data)
    except (KeyError, TypeError, ZeroDivisionError) as exc:
        raise HFError(f"config.json: cannot count parameters ({type(exc).__name__}: {exc})") from None


def _hf_count(d: dict) -> ParamCount:
    fam = family_for(d["model_type"])
    if not fam.countable:
        raise HFError(f"config.json: cannot count parameters of model_type {d['model_type']!r} (no mapping for this family)")
    # Alias spellings (transformers 5 writes num_local_experts for Qwen3-MoE) under the rules' name;
    # keys config.json omits take the HF config class default (an explicit null stays null).
    d = fam.with_defaults(d)
    h, vocab = d["hidden_size"], d["vocab_size"]
    tie = bool(d.get("tie_word_embeddings", False))
    bd = fam.hf_body(d)  # the family's rules: attention, mlp, moe, norms, final_norm (+ mtp, notes)
    embedding = vocab * h
    output = 0 if tie else vocab * h
    body = sum(bd[k] for k in ("attention", "mlp", "moe", "norms", "final_norm")) + bd.get("mtp", 0)
    bd = {"embedding": embedding, **bd, "output_layer": output}
    return ParamCount(total=embedding + body + output, embedding=embedding, output_layer=output, non_embedding=body, breakdown=bd)


# ---------------------------------------------------------------- Megatron side

def padded_vocab_size(vocab: int, make_vocab_size_divisible_by: int = 128, tensor_model_parallel_size: int = 1) -> int:
    """Megatron's `_vocab_size_with_padding`."""
    multiple = max(1, make_vocab_size_divisible_by) * max(1, tensor_model_parallel_size)
    return -(-vocab // multiple) * multiple


def effective(fields: dict) -> dict:
    """Fill the values Megatron derives when a field is unset (query groups, kv_channels, ffn size)."""
    f = dict(fields)
    h, heads = f["hidden_size"], f["num_attention_heads"]
    if not f.get("group_query_attention") or not f.get("num_query_groups"):
        f["num_query_groups"] = heads
    if not f.get("kv_channels"):
        f["kv_channels"] = h // heads
    if not f.get("ffn_hidden_size"):
        f["ffn_hidden_size"] = int(4 * h * 2 / 3 / 64) * 64 if f.get("swiglu") else 4 * h
    return f


def moe_flags(fields: dict) -> list[int]:
    n = fields["num_layers"]
    if not fields.get("num_experts"):
        return [0] * n
    flags = expand_freq(fields.get("moe_layer_freq", 1), n)
    if flags is None or len(flags) != n:
        raise HFError(f"moe_layer_freq {fields.get('moe_layer_freq')!r} does not describe {n} layers")
    return flags


def param_count_from_fields(fields: dict, *, make_vocab_size_divisible_by: int = 128, tensor_model_parallel_size: int = 1) -> ParamCount:
    """Count the parameters megatron-core's GPTModel builds from these Megatron fields."""
    try:
        f = effective(fields)
        return _fields_count(f, make_vocab_size_divisible_by, tensor_model_parallel_size)
    except (KeyError, TypeError, ZeroDivisionError) as exc:
        raise HFError(f"Megatron fields: cannot count parameters ({type(exc).__name__}: {exc})") from None


def _fields_count(f: dict, divisible_by: int, tp: int) -> ParamCount:
    h, vocab = f["hidden_size"], f["vocab_size"]
    norm = 2 * h if f.get("normalization", "LayerNorm") == "LayerNorm" else h
    flags = moe_flags(f)
    attn = _mc_attention(f)
    bd = {"attention": attn * f["num_layers"], "mlp": 0, "moe": 0, "norms": 2 * norm * f["num_layers"], "final_norm": norm}
    for is_moe in flags:
        if is_moe:
            bd["moe"] += _mc_moe(f)
        else:
            bd["mlp"] += _mc_mlp(f, f["ffn_hidden_size"], bias=bool(f.get("add_bias_linear")))
    mtp = int(f.get("mtp_num_layers") or 0)
    if mtp:
        last = _mc_moe(f) if flags[-1] else _mc_mlp(f, f["ffn_hidden_size"], bias=bool(f.get("add_bias_linear")))
        bd["mtp"] = mtp * (attn + 2 * norm + last + 3 * norm + 2 * h * h)
    embedding = vocab * h
    if f.get("position_embedding_type") == "learned_absolute" and f.get("max_position_embeddings"):
        # GPTModel adds a (max_position_embeddings x hidden) learned position table.
        embedding += int(f["max_position_embeddings"]) * h
    untied = bool(f.get("untie_embeddings_and_output_weights"))
    output = vocab * h if untied else 0
    padded = padded_vocab_size(vocab, divisible_by, tp)
    padding = (padded - vocab) * h * (2 if untied else 1)
    body = sum(bd.values())
    bd = {"embedding": embedding, **bd, "output_layer": output}
    return ParamCount(total=embedding + body + output, embedding=embedding, output_layer=output,
                      non_embedding=body, vocab_padding=padding, breakdown=bd)


def _mc_attention(f: dict) -> int:
    h, heads = f["hidden_size"], f["num_attention_heads"]
    if f.get("multi_latent_attention"):
        q_lora, kv_lora = f.get("q_lora_rank"), f["kv_lora_rank"]
        qk, pos, v = f["qk_head_dim"], f["qk_pos_emb_head_dim"], f["v_head_dim"]
        q = h * q_lora + q_lora * heads * (qk + pos) if q_lora else h * heads * (qk + pos)
        norms = ((q_lora or 0) + kv_lora) if f.get("qk_layernorm") else 0  # q_layernorm only with q_lora
        return q + h * (kv_lora + pos) + kv_lora * heads * (qk + v) + heads * v * h + norms
    groups, kv_ch = f["num_query_groups"], f["kv_channels"]
    bias_linear = bool(f.get("add_bias_linear"))
    qkv_out = (heads + 2 * groups) * kv_ch
    total = h * qkv_out + heads * kv_ch * h
    if bias_linear or f.get("add_qkv_bias"):
        total += qkv_out
    if bias_linear:
        total += h
    if f.get("qk_layernorm"):
        total += 2 * kv_ch * (2 if f.get("normalization") == "LayerNorm" else 1)
    return total


def _mc_mlp(f: dict, ffn: int, *, bias: bool) -> int:
    h = f["hidden_size"]
    fc1_out = 2 * ffn if f.get("swiglu") else ffn
    return h * fc1_out + ffn * h + ((fc1_out + h) if bias else 0)


def _mc_moe(f: dict) -> int:
    h, n_exp = f["hidden_size"], f["num_experts"]
    moe_ffn = f.get("moe_ffn_hidden_size") or f["ffn_hidden_size"]
    total = n_exp * h + n_exp * _mc_mlp(f, moe_ffn, bias=bool(f.get("add_bias_linear")))
    shared = f.get("moe_shared_expert_intermediate_size")
    if shared:
        total += _mc_mlp(f, shared, bias=False)
        if f.get("moe_shared_expert_gate"):
            total += h
    return total
