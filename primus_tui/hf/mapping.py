"""HF config.json -> Megatron argument names and values, per model_type.

Every top-level HF key ends up in exactly one of: a Megatron field (`hf_source` names it),
`ignored` (with the reason it does not change the network), or `unsupported` (a feature
Megatron's arguments cannot express; the import refuses rather than drop it silently).
"""

from __future__ import annotations

from collections.abc import Iterable

from primus_tui.hf.builder import Builder, Divergence, ModelMapping
from primus_tui.hf.causal import check_causal_lm
from primus_tui.hf.errors import HFError
from primus_tui.hf.families import map_family

__all__ = ["Builder", "Divergence", "ModelMapping", "config_data", "map_config"]


def config_data(cfg: object) -> tuple[dict, str]:
    """(data, label) from an HFConfig or a plain dict."""
    data = getattr(cfg, "data", cfg)
    label = getattr(cfg, "repo_id", None) or str(getattr(cfg, "path", "config.json"))
    if not isinstance(data, dict):
        raise HFError(f"{label}: config.json must be a JSON object, got {type(data).__name__}")
    return data, label


def map_config(cfg: object, accept: Iterable[str] = ()) -> ModelMapping:
    """Map an HF config (HFConfig or dict) to Megatron fields; raises HFError if not a causal LM.

    A divergence (an HF value Megatron builds differently) is unsupported unless `accept` names
    its key: then it moves to `mapping.accepted`, so the file and the report can say what
    Megatron builds instead. Naming a key this model does not have is an error (a typo must not
    look accepted).
    """
    data, label = config_data(cfg)
    check_causal_lm(data, label)
    try:
        mapping = map_family(data).finish()
    except HFError as exc:  # name the model, not just "config.json"
        message = str(exc)
        if not message.startswith("config.json"):
            raise
        named = label if label.endswith("config.json") else f"{label}: config.json"  # a path, or a repo id
        raise HFError(named + message[len("config.json"):]) from None
    return apply_acceptance(mapping, accept, label)


def apply_acceptance(mapping: ModelMapping, accept: Iterable[str], label: str = "config.json") -> ModelMapping:
    """Accepted divergences move to `accepted`; the others become unsupported, naming how to accept."""
    wanted = list(dict.fromkeys(accept))
    known = [d.key for d in mapping.divergences]
    unknown = [k for k in wanted if k not in known]
    if unknown:
        offer = ", ".join(known) if known else "none: this model has no acceptable divergence"
        raise HFError(f"{label}: --accept-divergence {', '.join(unknown)}: not a divergence of this model "
                      f"(acceptable: {offer})")
    for div in mapping.divergences:
        if div.key in wanted:
            mapping.accepted.append(div)
        else:
            mapping.unsupported.append((div.hf_key, f"{div.summary()} (accept with --accept-divergence {div.key})"))
    return mapping
