"""Hugging Face import: config.json -> exact Megatron fields, checks, param counts, model YAML, audit.

Pure core: never imports textual, torch or megatron. huggingface_hub is imported lazily inside
`fetch_config`; the megatron-core parameter count runs in a subprocess.

    cfg = fetch_config("TinyLlama/TinyLlama-1.1B-Chat-v1.0")
    mapping = map_config(cfg)                     # Megatron key -> value, provenance, unsupported
    problems = validate_fields(mapping.fields, seq_length=2048)
    bases = rank_bases(mapping, ConfigTree.at(None))
    text = render_model_yaml(mapping, bases[0].name, tree, name="tinyllama_1.1B", hf=cfg)
"""

from primus_tui.hf.audit import AuditResult, PresetDivergence, audit_presets
from primus_tui.hf.bases import BaseCandidate, default_base, rank_bases
from primus_tui.hf.errors import HFError
from primus_tui.hf.fetch import HFConfig, fetch_cached, fetch_config
from primus_tui.hf.mapping import Divergence, ModelMapping, map_config
from primus_tui.hf.mcore_count import megatron_param_count, megatron_param_counts
from primus_tui.hf.params import ParamCount, padded_vocab_size, param_count_from_fields, param_count_from_hf
from primus_tui.hf.render import render_model_yaml
from primus_tui.hf.shadow import model_shadow_warnings
from primus_tui.hf.validate import FIELD_VALIDATORS, Problem, validate_fields

__all__ = [
    "FIELD_VALIDATORS",
    "AuditResult",
    "BaseCandidate",
    "Divergence",
    "HFConfig",
    "HFError",
    "ModelMapping",
    "ParamCount",
    "PresetDivergence",
    "Problem",
    "audit_presets",
    "default_base",
    "fetch_cached",
    "megatron_param_counts",
    "padded_vocab_size",
    "fetch_config",
    "map_config",
    "megatron_param_count",
    "model_shadow_warnings",
    "param_count_from_fields",
    "param_count_from_hf",
    "rank_bases",
    "render_model_yaml",
    "validate_fields",
]
