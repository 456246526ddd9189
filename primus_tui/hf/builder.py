"""The mapping record and the builder the family rules fill (shared floor of mapping and families).

Every top-level HF key ends up in exactly one of: a Megatron field (`hf_source` names it),
`ignored` (with the reason it does not change the network), `unsupported` (a feature Megatron's
arguments cannot express; the import refuses rather than drop it silently), or a `Divergence`
(inexpressible, but the user may accept exactly that difference by name).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from primus_tui.hf.errors import HFError
from primus_tui.hf.keys import COMMON_IGNORED, FIELD_ORDER

_MISSING = object()


@dataclass(frozen=True)
class Divergence:
    """An HF feature Megatron (through Primus) builds differently, acceptable only by its `key`.

    Data, not text, so the import report, the wizard and the checklist show the same thing.
    """

    key: str  # the name the user accepts (`--accept-divergence KEY`)
    hf_key: str  # where the HF value comes from, e.g. "rope_scaling.factor"
    hf_value: object
    megatron_value: object
    reason: str  # what Megatron builds instead, and why

    def summary(self) -> str:
        return f"HF {self.hf_key} {_show(self.hf_value)}; Megatron builds {self.reason}"


def _show(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else repr(value) if isinstance(value, str) else str(value)


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
    divergences: list[Divergence] = field(default_factory=list)  # every acceptable divergence of the model
    accepted: list[Divergence] = field(default_factory=list)  # accepted by the user: Megatron builds these

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

    def __init__(self, data: dict, model_type: str, family: str, defaults: dict[str, object],
                 aliases: dict[str, str] | None = None):
        self.data, self.spelled = canonical_keys(data, aliases or {})
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
        return self.spelled.get(key, key) if key in self.data else f"{key} (HF default)"

    def set(self, megatron_key: str, value: object, source: str) -> None:
        self.mapping.fields[megatron_key] = value
        self.mapping.hf_source[megatron_key] = source

    def ignore(self, key: str, reason: str) -> None:
        self.seen.add(key)
        if key in self.data:
            self.mapping.ignored[self.spelled.get(key, key)] = reason

    def unsupported(self, key: str, reason: str) -> None:
        self.seen.add(key)
        self.mapping.unsupported.append((self.spelled.get(key, key), reason))

    def diverge(self, key: str, hf_key: str, hf_value: object, megatron_value: object, reason: str) -> None:
        """An inexpressible HF value the user may accept by name (else the import refuses it)."""
        self.seen.add(hf_key.split(".")[0])
        self.mapping.divergences.append(Divergence(key, hf_key, hf_value, megatron_value, reason))

    def note(self, text: str) -> None:
        self.mapping.notes.append(text)

    def finish(self) -> ModelMapping:
        m = self.mapping
        for key in self.data:
            value, spelling = self.data[key], self.spelled.get(key, key)
            if key in self.seen or spelling in m.ignored:
                continue
            key = spelling
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


def canonical_keys(data: dict, aliases: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """`data` with the config class's alias spellings (its `attribute_map`) under the one name the
    rules read, and canonical name -> spelling in the file. Both spellings with different values
    is an error: transformers would keep one of them silently."""
    out, spelled = dict(data), {}
    for alias, name in aliases.items():
        if alias not in out:
            continue
        value = out.pop(alias)
        if name in out and out[name] != value:
            raise HFError(f"config.json: {alias} {value!r} and {name} {out[name]!r} name the same setting with different values")
        out[name] = value
        spelled[name] = alias
    return out, spelled
