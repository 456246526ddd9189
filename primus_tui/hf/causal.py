"""Is this config a decoder-only (causal) language model? Megatron's GPTModel builds nothing else."""

from __future__ import annotations

from primus_tui.hf.errors import HFError

_CAUSAL_SUFFIXES = ("ForCausalLM", "LMHeadModel")
_NOT_CAUSAL_TYPES = frozenset({
    "bert", "roberta", "xlm-roberta", "distilbert", "albert", "electra", "deberta", "deberta-v2",
    "t5", "mt5", "umt5", "bart", "mbart", "pegasus", "marian", "whisper", "clip", "vit", "wav2vec2",
    "modernbert", "nomic_bert", "xlnet",
})


class NotCausalLM(HFError):
    """The config describes an encoder, encoder-decoder or multimodal model (still exit 2)."""


def check_causal_lm(data: dict, label: str) -> None:
    """Raise HFError (one line) unless `data` describes a decoder-only language model."""
    model_type = data.get("model_type")
    if not isinstance(model_type, str) or not model_type:
        raise HFError(f"{label}: config.json has no model_type; not a Hugging Face transformers model config")
    archs = data.get("architectures") or []
    if not isinstance(archs, list):
        archs = [archs]
    arch_text = ", ".join(str(a) for a in archs) or "none listed"
    causal_arch = any(isinstance(a, str) and a.endswith(_CAUSAL_SUFFIXES) for a in archs)
    nested = [k for k in ("text_config", "vision_config", "audio_config") if isinstance(data.get(k), dict)]
    multimodal = bool(nested) and not causal_arch
    if data.get("is_encoder_decoder") or model_type in _NOT_CAUSAL_TYPES or (archs and not causal_arch) or multimodal:
        what = f"; a multimodal model ({', '.join(nested)} nested)" if nested else ""
        raise NotCausalLM(
            f"{label}: not a causal-LM config (model_type {model_type!r}, architectures {arch_text}{what}); "
            "primus-tui imports decoder-only language models"
        )
