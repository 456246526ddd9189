"""HF config.json -> Megatron argument names and values, per model_type.

Every top-level HF key ends up in exactly one of: a Megatron field (`hf_source` names it),
`ignored` (with the reason it does not change the network), or `unsupported` (a feature
Megatron's arguments cannot express; the import refuses rather than drop it silently).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from primus_tui.hf.errors import HFError
from primus_tui.hf.keys import COMMON_IGNORED, FIELD_ORDER

_MISSING = object()


@dataclass
class ModelMapping:
    """Megatron fields for one HF config, with provenance for every HF key.

    `fields` follows `keys.FIELD_ORDER`. `notes` are warnings that do not block the import
    (e.g. a sliding window that only matters beyond a sequence length).
    """

    model_type: str
    family: str
    fields: dict[str, object] = field(default_factory=dict)
    hf_source: dict[str, str] = field(default_factory=dict)
    ignored: dict[str, str] = field(default_factory=dict)
    unsupported: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def supported(self) -> bool:
        return not self.unsupported

    def unsupported_summary(self) -> str:
        """One line. An unsupported model_type is the answer; the other keys are only named after it."""
        if self.unsupported and self.unsupported[0][0] == "model_type" and len(self.unsupported) > 1:
            rest = ", ".join(dict.fromkeys(key for key, _ in self.unsupported[1:]))
            return f"model_type: {self.unsupported[0][1]} (also not expressible or not known: {rest})"
        return "; ".join(f"{key}: {why}" for key, why in self.unsupported)


class Builder:
    """Collects fields while tracking which HF keys were read, so none is dropped unnoticed."""

    def __init__(self, data: dict, model_type: str, family: str, defaults: dict[str, object]):
        self.data = data
        self.defaults = defaults
        self.seen: set[str] = set()
        self.mapping = ModelMapping(model_type=model_type, family=family)

    def has(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str, default: object = _MISSING) -> object:
        """The HF value, else the HF config class default, else `default`; marks the key read."""
        self.seen.add(key)
        if key in self.data:  # an explicit null means "off", not "use the class default"
            return self.data[key]
        if key in self.defaults:
            return self.defaults[key]
        if default is _MISSING:
            raise HFError(f"config.json has no {key!r}, which model_type {self.mapping.model_type!r} needs")
        return default

    def int(self, key: str, *, positive: bool = True) -> int:
        """An integer HF value; sizes and counts must be positive (0 only where `positive=False`)."""
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise HFError(f"config.json: {key} must be an integer, got {value!r}")
        if value < (1 if positive else 0):
            raise HFError(f"config.json: {key} must be {'positive' if positive else 'zero or more'}, got {value}")
        return value

    def src(self, key: str) -> str:
        """How to name `key` as a source: itself, or marked as the config class default."""
        return key if key in self.data else f"{key} (HF default)"

    def set(self, megatron_key: str, value: object, source: str) -> None:
        self.mapping.fields[megatron_key] = value
        self.mapping.hf_source[megatron_key] = source

    def ignore(self, key: str, reason: str) -> None:
        self.seen.add(key)
        if key in self.data:
            self.mapping.ignored[key] = reason

    def unsupported(self, key: str, reason: str) -> None:
        self.seen.add(key)
        self.mapping.unsupported.append((key, reason))

    def note(self, text: str) -> None:
        self.mapping.notes.append(text)

    def finish(self) -> ModelMapping:
        m = self.mapping
        for key in self.data:
            if key in self.seen or key in m.ignored:
                continue
            value = self.data[key]
            if key in COMMON_IGNORED:
                m.ignored[key] = COMMON_IGNORED[key]
            elif value in (None, False, 0, [], {}, ""):
                m.ignored[key] = f"not known to primus-tui for model_type {m.model_type!r}, but empty/off ({value!r})"
            else:
                m.unsupported.append((key, f"not known to primus-tui for model_type {m.model_type!r}; cannot tell whether it changes the network"))
        rank = {k: i for i, k in enumerate(FIELD_ORDER)}
        order = sorted(m.fields, key=lambda k: (rank.get(k, len(rank)), k))
        m.fields = {k: m.fields[k] for k in order}
        m.hf_source = {k: m.hf_source[k] for k in order if k in m.hf_source}
        return m


def config_data(cfg: object) -> tuple[dict, str]:
    """(data, label) from an HFConfig or a plain dict."""
    data = getattr(cfg, "data", cfg)
    label = getattr(cfg, "repo_id", None) or str(getattr(cfg, "path", "config.json"))
    if not isinstance(data, dict):
        raise HFError(f"{label}: config.json must be a JSON object, got {type(data).__name__}")
    return data, label


def map_config(cfg: object) -> ModelMapping:
    """Map an HF config (HFConfig or dict) to Megatron fields; raises HFError if not a causal LM."""
    from primus_tui.hf.causal import check_causal_lm
    from primus_tui.hf.families import map_family

    data, label = config_data(cfg)
    check_causal_lm(data, label)
    try:
        return map_family(data).finish()
    except HFError as exc:  # name the model, not just "config.json"
        message = str(exc)
        if not message.startswith("config.json"):
            raise
        named = label if label.endswith("config.json") else f"{label}: config.json"  # a path, or a repo id
        raise HFError(named + message[len("config.json"):]) from None
