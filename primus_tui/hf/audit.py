"""Compare Primus's hand-written model presets with the HF configs they name (HF is the truth).

A preset names its model through `tokenizer_model` (or `--hf PRESET=REPO`). Only the local HF
cache is read: a repo that is not cached is "skipped (not cached)", never fetched. A preset that
borrows another family's tokenizer (gpt_oss with DeepSeek's, grok with Mixtral's) is "skipped
(tokenizer only)" unless `--hf` pairs it explicitly. Divergences are split into architecture
mismatches (a different network) and deliberate choices (`keys.DELIBERATE_KEYS`, e.g. a shorter
context).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from primus_tui.config import ConfigError
from primus_tui.hf.errors import HFError
from primus_tui.hf import megatron_facts as facts
from primus_tui.hf.keys import DELIBERATE_KEYS
from primus_tui.hf.families import preset_family, related
from primus_tui.hf.presets import ABSENT, effective_values, same, with_defaults

# tokenizer_model values in Primus presets that are not Hub repos, and the repo they mean.
KNOWN_REPO_ALIASES = {
    "meta-llama/Meta-Llama-3.2-1B": "meta-llama/Llama-3.2-1B",
    "meta-llama/Meta-Llama-3.2-3B": "meta-llama/Llama-3.2-3B",
}
# Keys the preset may leave unset because Megatron takes them from elsewhere.
_FROM_ELSEWHERE = {"vocab_size": "from the tokenizer"}


@dataclass(frozen=True)
class PresetDivergence:
    """A mapped key where the network Megatron builds from the preset differs from the HF model."""

    key: str
    preset_value: object
    hf_value: object
    hf_key: str
    kind: str  # "architecture" | "deliberate"
    note: str = ""


@dataclass
class AuditResult:
    preset: str
    repo_id: str | None
    status: str  # "ok" | "mismatch" | "skipped (not cached)" | "skipped (no HF repo)" | "skipped (tokenizer only)" | "skipped (not a causal LM)" | "error"
    divergences: list[PresetDivergence] = field(default_factory=list)
    message: str = ""

    @property
    def architecture(self) -> list[PresetDivergence]:
        return [d for d in self.divergences if d.kind == "architecture"]

    @property
    def deliberate(self) -> list[PresetDivergence]:
        return [d for d in self.divergences if d.kind == "deliberate"]


def audit_presets(tree, presets: list[str] | None = None, hf_overrides: dict[str, str] | None = None) -> list[AuditResult]:
    """Audit `presets` (default: every model preset that names an HF repo) against cached HF configs."""
    overrides = {_preset_file(k): v for k, v in (hf_overrides or {}).items()}
    explicit = presets is not None
    names = [_preset_file(p) for p in presets] if explicit else sorted(set(tree.model_presets()) | set(overrides))
    results: list[AuditResult] = []
    for name in names:
        result = audit_one(tree, name, overrides.get(name))
        if explicit or name in overrides or result.status != "skipped (no HF repo)":
            results.append(result)
    return results


def audit_one(tree, name: str, repo: str | None = None) -> AuditResult:
    from primus_tui.hf.fetch import fetch_cached
    from primus_tui.hf.causal import NotCausalLM
    from primus_tui.hf.mapping import map_config

    try:
        data = tree.load_preset(name, "models", "megatron").data
    except ConfigError as exc:
        return AuditResult(name, repo, "error", message=str(exc))
    paired = repo is not None
    repo = repo or data.get("tokenizer_model")
    if not isinstance(repo, str) or not repo:
        return AuditResult(name, None, "skipped (no HF repo)", message="no tokenizer_model; pass --hf PRESET=REPO")
    notes = []
    cfg = None
    for candidate in [repo, KNOWN_REPO_ALIASES.get(repo)]:
        if candidate is None:
            continue
        try:
            cfg = fetch_cached(candidate)
        except NotCausalLM as exc:  # e.g. a multimodal checkpoint whose tokenizer a text preset names
            return AuditResult(name, candidate, "skipped (not a causal LM)", message=str(exc))
        except HFError as exc:
            if getattr(exc, "not_cached", False):
                continue
            return AuditResult(name, candidate, "error", message=str(exc))
        if candidate != repo:
            notes.append(f"tokenizer_model {repo} is not a Hub repo; compared with {candidate}")
            repo = candidate
        break
    if cfg is None:
        return AuditResult(name, repo, "skipped (not cached)", message=f"{repo} is not in the Hugging Face cache")
    try:
        mapping = map_config(cfg)
    except NotCausalLM as exc:
        return AuditResult(name, repo, "skipped (not a causal LM)", message=str(exc))
    except HFError as exc:
        return AuditResult(name, repo, "error", message=str(exc))
    fam = preset_family(name, data)
    if not paired and not _describes(fam, mapping.family):
        return AuditResult(name, repo, "skipped (tokenizer only)",
                           message=f"{repo} is a {mapping.family} model but {name} is {'a ' + fam if fam else 'another'} "
                                   "model; pass --hf PRESET=REPO to compare anyway")
    divergences = compare(mapping, data)
    if mapping.unsupported:
        notes.append("HF features Megatron cannot express: " + mapping.unsupported_summary())
    status = "mismatch" if any(d.kind == "architecture" for d in divergences) else "ok"
    return AuditResult(name, repo, status, divergences, "; ".join(notes))


def compare(mapping, preset_data: dict) -> list[PresetDivergence]:
    """Every mapped key whose effective preset value (what Megatron parses) differs from the HF value.

    A preset key Megatron never reads (e.g. `norm_epsilon`, whose dest is `layernorm_epsilon`) is
    left out of what Megatron parses, and the divergence it hides names it; the HF model's
    inexpressible features (divergences) are listed as architecture mismatches too.
    """
    dead = facts.dead_keys(preset_data)
    live = {k: v for k, v in preset_data.items() if k not in dead}
    eff = effective_values(with_defaults(live, mapping.fields))
    hf_eff = effective_values(mapping.fields)
    n_layers = mapping.fields.get("num_layers")
    out: list[PresetDivergence] = []
    for key, hf_value in mapping.fields.items():
        have = eff.get(key, ABSENT)
        if key in _FROM_ELSEWHERE and have in (None, ABSENT):
            continue
        if same(key, have, hf_eff.get(key, hf_value), n_layers):
            continue
        kind = "deliberate" if key in DELIBERATE_KEYS else "architecture"
        note = DELIBERATE_KEYS.get(key, "")
        hidden = [k for k, live in dead.items() if live.suggestion == key]
        if hidden:
            note = "; ".join(f"the preset's {k}: {preset_data[k]!r} is dead (Megatron reads {key})" for k in hidden)
        if key == "max_position_embeddings":
            if have in (None, ABSENT):
                note = "unset: Megatron uses seq_length"
            elif isinstance(have, int) and isinstance(hf_value, int):
                note = "shorter context than the HF model" if have < hf_value else "longer context than the HF model"
        out.append(PresetDivergence(key, None if have is ABSENT else have, hf_value, mapping.hf_source.get(key, ""), kind, note))
    for div in mapping.divergences:
        out.append(PresetDivergence(div.key, div.megatron_value, div.hf_value, div.hf_key, "architecture",
                                    f"not expressible: Megatron builds {div.reason}"))
    return out


def _describes(preset_fam: str | None, hf_fam: str) -> bool:
    """Does a preset of family `preset_fam` claim to be the HF model (not just borrow its tokenizer)?"""
    if preset_fam is None:
        return False
    return preset_fam == hf_fam or related(preset_fam, hf_fam)


def _preset_file(name: str) -> str:
    return name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
