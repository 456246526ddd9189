"""Render the generated Primus model YAML: stable, commented, byte-identical on re-run.

Layout: a header naming the HF repo, revision and commit, the accepted divergences and the
base's dead keys; `extends: [<base>]`; the tokenizer; then, section by section in
`keys.FIELD_ORDER`, every key whose value differs from what Megatron parses from the base chain
(`implied.implied_values`: the mapped fields plus inherited network keys the HF model does not
have) plus the trap keys (`keys.TRAP_KEYS`, always written), each followed by a comment naming
the config.json key it came from. User overrides (`extra`) are marked `# set by user`.
"""

from __future__ import annotations

import yaml

from primus_tui.config.yamlsafe import comment, prove
from primus_tui.generator import GENERATOR
from primus_tui.hf.bases import needed_overrides
from primus_tui.hf.implied import dead_keys, implied_values
from primus_tui.hf.keys import FIELD_SECTIONS, TRAP_KEYS



def yaml_scalar(value: object) -> str:
    """One value in YAML flow style, exactly as PyYAML would read it back (1.0e-05 stays a float)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000, sort_keys=False).rstrip("\n")
    if text.endswith("\n..."):
        text = text[: -len("\n...")]
    return text


def planned_keys(mapping, base_data: dict, extra: dict | None = None) -> dict[str, tuple[object, str]]:
    """Key -> (value, comment) the model YAML must set on top of `base_data`, in rendering order."""
    values, comments = implied_values(mapping, base_data)
    for key, value in (extra or {}).items():
        hf_note = f" (HF: {yaml_scalar(values[key])} from {comments[key]})" if key in values and values[key] != value else ""
        values[key] = value
        comments[key] = "set by user" + hf_note
    differs = needed_overrides(values, base_data)
    out: dict[str, tuple[object, str]] = {}
    for key, value in values.items():
        if key in differs or key in TRAP_KEYS or key in (extra or {}):
            out[key] = (value, comments[key])
    return out


def render_model_yaml(mapping, base: str, tree, *, name: str, hf=None, extra: dict | None = None) -> str:
    """The text of `<name>.yaml` extending `base` from `tree` (raises ConfigError if base is missing)."""
    base_loaded = tree.load_preset(base, "models", "megatron")
    base_file = base_loaded.path.name
    keys = planned_keys(mapping, base_loaded.data, extra)
    lines = _header(name, mapping, hf)
    lines += [f"# accepted divergence: {comment(div.summary())}" for div in mapping.accepted]
    lines += [comment(f"# dead key in {base_file}'s chain: {dead.key}: {yaml_scalar(dead.value)} is never read by "
                      f"Megatron (the dest is {dead.live}); {dead.live} below is what it uses")
              for dead in dead_keys(mapping, base_loaded.data)]
    lines += ["extends:", f"  - {yaml_scalar(base_file)}", "", "tokenizer_type: HuggingFaceTokenizer",
              f"tokenizer_model: {yaml_scalar(_tokenizer_ref(hf))}"]
    done: set[str] = set()
    for section, section_keys in FIELD_SECTIONS:
        rows = [k for k in section_keys if k in keys]
        if rows:
            lines += ["", f"# {section}"]
            lines += [_line(k, *keys[k]) for k in rows]
            done.update(rows)
    rest = [k for k in keys if k not in done]
    if rest:
        lines += ["", "# other"]
        lines += [_line(k, *keys[k]) for k in rest]
    text = "\n".join(lines) + "\n"
    # render, then prove: the file must read back as exactly these keys and values
    expected = {"extends": [base_file], "tokenizer_type": "HuggingFaceTokenizer",
                "tokenizer_model": _tokenizer_ref(hf), **{k: v for k, (v, _) in keys.items()}}
    prove(text, expected, f"{name}.yaml")
    return text


def _line(key: str, value: object, note: str) -> str:
    text = f"{yaml_scalar(key)}: {yaml_scalar(value)}"
    return f"{text}  # {comment(note)}" if note else text


def _tokenizer_ref(hf) -> str | None:
    if hf is None:
        return None
    return getattr(hf, "tokenizer_ref", None) or getattr(hf, "repo_id", None)


def _header(name: str, mapping, hf) -> list[str]:
    lines = [comment(f"# {name}.yaml: Megatron model config ({mapping.model_type}), {GENERATOR}.")]
    if hf is not None and getattr(hf, "repo_id", None):
        lines.append(comment(f"# Hugging Face: {hf.repo_id}  revision: {hf.revision or 'main'}  "
                             f"commit: {hf.commit_sha or 'unknown'}"))
    elif hf is not None:
        lines.append(comment(f"# Hugging Face config: {hf.path}" + (f"  commit: {hf.commit_sha}" if hf.commit_sha else "")))
    lines.append("# Each value's comment names the config.json key it comes from. Keys the base already")
    lines.append("# has are left out, except the easy-to-get-wrong ones (GQA, norm, RoPE, tying, bias, dropout).")
    for note in getattr(mapping, "notes", []):
        lines.append(f"# note: {comment(note)}")
    return lines
