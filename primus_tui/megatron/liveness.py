"""Does a key of a merged Megatron module config reach anything? Pure: registry in, verdicts out.

A key in a Primus YAML only matters if something reads it. Primus merges every key onto
Megatron's `args`, so nothing rejects a dead one: `norm_epsilon` parses but the dest is
`layernorm_epsilon` (only DeepSeek-V4's config class reads `norm_epsilon`), and
`rope_scaling_factor` is a dest gpt_builder never passes to GPTModel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from primus_tui.megatron.registry import Registry

STATUSES = ("network", "run", "primus", "inert", "unknown")
DEAD = frozenset({"inert", "unknown"})
MODEL_TYPE_KEY = "model_type"


@dataclass(frozen=True)
class KeyLiveness:
    """Where one key ends up: network (the model), run (a Megatron dest outside the model),
    primus (read by Primus only), inert (known, but read by nothing for this model), unknown."""

    key: str
    status: str
    reason: str
    suggestion: str | None = None

    @property
    def dead(self) -> bool:
        return self.status in DEAD

    def describe(self) -> str:
        hint = f"; did you mean {self.suggestion}?" if self.suggestion else ""
        return f"{self.status}: {self.key}: {self.reason}{hint}"


def _flag_owner(key: str, registry: Registry) -> str | None:
    """The dest whose flag spells `key` (`norm_epsilon` -> `layernorm_epsilon` via --norm-epsilon)."""
    flag = "--" + key.replace("_", "-")
    owners = [dest for dest, spec in registry.args.items() if flag in spec.flags and dest != key]
    return owners[0] if len(owners) == 1 else None


def _hint(key: str, registry: Registry) -> tuple[str, str | None]:
    """(reason suffix, suggestion) for a key that is not what the user thinks it is."""
    owner = _flag_owner(key, registry)
    if owner:
        flag = "--" + key.replace("_", "-")
        return f" (Megatron's flag {flag} sets the dest {owner})", owner
    return "", registry.suggest(key)


def _network_reason(key: str, registry: Registry, mla: bool) -> str:
    for kwarg, dest in registry.gpt_from_args.items():
        if dest == key:
            return f"gpt_builder passes it to GPTModel({kwarg}=...)"
    config_class = "MLATransformerConfig" if mla else "TransformerConfig"
    if key in registry.config_fields(config_class):
        return f"{config_class} field (copied off args by core_transformer_config_from_args)"
    for kwarg, assignments in registry.explicit.items():
        if any(f"args.{key}" in a.value or (a.when and f"args.{key}" in a.when) for a in assignments):
            return f"core_transformer_config_from_args sets {kwarg} from it"
    if key in registry.gpt_spec_args:
        return "gpt_builder reads it to build the layer spec"
    return "read by core_transformer_config_from_args"


def _fixed_param(key: str, registry: Registry) -> str | None:
    """The GPTModel parameter gpt_builder never passes that this dest is named for: the same name,
    or the name behind a prefix (`rotary_seq_len_interpolation_factor` -> `seq_len_interpolation_factor`)."""
    if not registry.is_dest(key):
        return None
    for param in registry.gpt_fixed:
        if key == param or key.endswith("_" + param):
            return param
    return None


def _files(files: tuple[str, ...]) -> str:
    more = f" and {len(files) - 1} more" if len(files) > 1 else ""
    return f"{files[0]}{more}" if files else "Primus"


def classify_key(key: str, registry: Registry, *, model_type: str | None, mla: bool) -> KeyLiveness:
    """The verdict for one top-level key (see KeyLiveness for the statuses)."""
    if key in registry.reserved:
        return KeyLiveness(key, "primus", "module node key, consumed by Primus's parser")
    scopes = registry.primus_model_scoped.get(key)
    if scopes:
        models = ", ".join(scopes)
        if model_type is None:
            return KeyLiveness(key, "primus", f"read only on model_type {models} (this model's type is unknown)")
        if model_type in scopes:
            return KeyLiveness(key, "primus", f"read by Primus's {model_type} config class")
        suffix, suggestion = _hint(key, registry)
        return KeyLiveness(
            key, "inert", f"only model_type {models} reads it; this model is {model_type}{suffix}", suggestion
        )
    if key in registry.mla_only() and not mla:
        return KeyLiveness(key, "inert", "MLATransformerConfig field; multi_latent_attention is false")
    if key in registry.network_dests(mla):
        return KeyLiveness(key, "network", _network_reason(key, registry, mla))
    fixed = _fixed_param(key, registry)
    if fixed is not None:
        return KeyLiveness(key, "inert", f"gpt_builder does not pass it; GPTModel uses "
                                         f"{'' if fixed == key else fixed + '='}{registry.gpt_fixed[fixed]!r}")
    if registry.is_dest(key):
        return KeyLiveness(key, "run", f"Megatron argument ({registry.args[key].origin}), not part of the model")
    reads = registry.primus_reads.get(key)
    if reads:
        return KeyLiveness(key, "primus", f"read by Primus ({_files(reads)})")
    suffix, suggestion = _hint(key, registry)
    declared = registry.primus_declared.get(key)
    if declared:
        return KeyLiveness(
            key, "inert", f"declared in {_files(declared)}, read by no Megatron or Primus code{suffix}", suggestion
        )
    return KeyLiveness(
        key, "unknown", f"not a Megatron argument, config field or Primus key{suffix}", suggestion
    )


def classify(values: Mapping[str, Any], registry: Registry, *, model_type: str | None = None) -> dict[str, KeyLiveness]:
    """Verdicts for every top-level key of a merged module config (`resolve_experiment(...).module()`).

    `model_type` defaults to the config's own `model_type` (Primus's model dispatch key)."""
    model_type = model_type or _str_or_none(values.get(MODEL_TYPE_KEY))
    mla = bool(values.get("multi_latent_attention"))
    return {key: classify_key(key, registry, model_type=model_type, mla=mla) for key in values}


def _str_or_none(value: Any) -> str | None:
    return str(value) if value is not None else None


def _matches(value: Any, choices: tuple[Any, ...]) -> bool:
    return any(value == c or (isinstance(value, str) and value == str(c)) for c in choices)


def choice_errors(values: Mapping[str, Any], registry: Registry) -> list[str]:
    """One message per value outside a dest's argparse `choices` (Megatron would refuse it on its CLI)."""
    problems = []
    for key, value in values.items():
        spec = registry.args.get(key)
        choices = registry.choices(key)
        if spec is None or choices is None or value is None:
            continue
        items = value if isinstance(value, list) and spec.nargs is not None else [value]
        for item in items:
            if not _matches(item, choices):
                allowed = ", ".join(str(c) for c in choices)
                problems.append(f"{key}: {item!r} is not one of {allowed} (Megatron {spec.flags[0]})")
    return problems
