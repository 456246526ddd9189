"""HF tensor names, shapes and dtypes of a config.json without its weights: transformers' own model on
the meta device. Export uses it for checkpoints that carry no convert sidecar (a run from scratch).

transformers 5 fuses MoE experts in memory (`experts.gate_up_proj`), unlike its saved files, so
only layouts whose in-memory names are the saved names (dense and MLA attention, dense MLPs) come
out of this; a fused expert tensor makes export refuse (the plan has no inverse for it).
"""

from __future__ import annotations

import warnings
from typing import Any

from primus_tui.weights.errors import WeightsError


def tensors_of(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """name -> {"shape", "dtype"} as `save_pretrained` of this config would write them (tied head dropped)."""
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise WeightsError(f"export without a convert sidecar needs transformers ({exc}); pip install transformers") from None
    dtype = str(config.get("torch_dtype") or config.get("dtype") or "float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hf_config = transformers.AutoConfig.for_model(**config)
        with torch.device("meta"):
            model = transformers.AutoModelForCausalLM.from_config(hf_config)
    tied = bool(config.get("tie_word_embeddings", False))
    out = {}
    for name, tensor in model.state_dict().items():
        if tied and name == "lm_head.weight":
            continue
        out[name] = {"shape": list(tensor.shape), "dtype": dtype if tensor.is_floating_point() else
                     str(tensor.dtype).removeprefix("torch.")}
    return out
