"""HF causal-LM state dict -> megatron-core GPTModel (local spec) state dict.

`plan_hf_to_mcore` maps every megatron tensor name to a `TensorPlan` (which HF tensors, how
combined) and checks coverage both ways before anything is read; `convert_hf_to_mcore` runs it.
The megatron side is the model's own `state_dict()` names and shapes, so what is filled is what
megatron-core actually built from the YAML (dense or MoE per layer, MLA or standard attention).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

import torch

from primus_tui.hf.families import family_for
from primus_tui.weights import dense, mla, moe
from primus_tui.weights.layout import HFLayout
from primus_tui.weights.plan import ConversionError, Shape, TensorPlan, check_plan, copy, pad_rows, run_plan

_LAYER = re.compile(r"^decoder\.layers\.(\d+)\.(.+)$")
_TOP = {
    "embedding.word_embeddings.weight": ("model.embed_tokens.weight", pad_rows, "vocab rows zero-padded"),
    "decoder.final_layernorm.weight": ("model.norm.weight", copy, "copy"),
    "output_layer.weight": ("lm_head.weight", pad_rows, "vocab rows zero-padded"),
}
# HF tensors that are not weights of the network (buffers some checkpoints carry)
_IGNORED = re.compile(r"(\.rotary_emb\.inv_freq|\.attn\.masked_bias|\.attn\.bias)$")


def mcore_shapes(state_dict: Mapping[str, object]) -> dict[str, Shape]:
    """Tensor names and shapes of a megatron state dict, without the `_extra_state` entries."""
    return {k: tuple(v.shape) for k, v in state_dict.items()
            if not k.endswith("_extra_state") and isinstance(v, torch.Tensor)}


def _rule(layout: HFLayout, target: str, names: frozenset[str], mla_layers: set[int]) -> TensorPlan | None:
    if target in _TOP:
        source, build, how = _TOP[target]
        return TensorPlan(target, (source,), build, how)
    match = _LAYER.match(target)
    if not match:
        return None
    layer, rest = int(match[1]), match[2]
    hf = f"model.layers.{layer}."
    if rest.startswith("self_attention.") and layer in mla_layers:
        return mla.layer_rule(layout, target, rest, hf)
    return dense.layer_rule(layout, target, rest, hf) or moe.layer_rule(target, rest, hf, names)


def plan_hf_to_mcore(hf_names: Iterable[str], targets: Iterable[str], layout: HFLayout,
                     allow_unused: Callable[[str], bool] = lambda name: False) -> list[TensorPlan]:
    """One plan per megatron tensor, in `targets` order; ConversionError naming every gap.

    `allow_unused` lets a caller skip HF tensors on purpose (e.g. MTP layers it does not build).
    """
    names = frozenset(hf_names)
    targets = list(targets)
    # an in-memory state dict of a tied HF model lists lm_head.weight: it is the embedding itself
    tied_head = layout.tied and "output_layer.weight" not in targets
    mla_layers = {int(m[1]) for t in targets if (m := _LAYER.match(t)) and "linear_kv_down_proj" in m[2]}
    plans = [p for t in targets if (p := _rule(layout, t, names, mla_layers)) is not None]
    check_plan(plans, names, targets, ignored=lambda n: bool(_IGNORED.search(n)) or allow_unused(n)
               or (tied_head and n == "lm_head.weight"))
    return plans


def convert_hf_to_mcore(hf: Mapping[str, torch.Tensor], mcore_state: Mapping[str, object],
                        hf_config: Mapping[str, object], **kwargs) -> dict[str, torch.Tensor]:
    """Filled megatron state dict (no `_extra_state`; load it with strict=False and check the keys).

    `hf` may be any name -> tensor mapping (a dict, or `hf_files.HFCheckpoint` reading lazily).
    """
    shapes = mcore_shapes(mcore_state)
    family = family_for(str(hf_config.get("model_type", "")))
    stored = {family.hf_tensor_name(name): name for name in hf.keys()}  # llama-style name -> checkpoint's
    plans = plan_hf_to_mcore(stored.keys(), shapes, HFLayout.from_config(hf_config), **kwargs)
    out = dict(run_plan(plans, lambda name: hf[stored[name]], shapes))
    missing = sorted(set(shapes) - set(out))
    if missing:  # defensive: run_plan raises first
        raise ConversionError("megatron tensors left unfilled: " + ", ".join(missing))
    return out
