"""Read an answers file (one-line errors) and write one back, commented and stable for replay."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from primus_tui.config.limits import LimitExceeded, load_bounded, read_bounded
from primus_tui.config.render import scalar_yaml
from primus_tui.config.yamlsafe import prove
from primus_tui.wizard.errors import WizardError
from primus_tui.wizard.schema import Answers, key_of, to_plain


def load_answers_file(path: str | Path) -> dict:
    """The file's YAML as plain data (no `${VAR}` substitution: those are written through as-is)."""
    import yaml

    p = Path(path)
    try:
        text = read_bounded(p)
    except LimitExceeded as exc:
        raise WizardError(f"{p}: {exc}") from None
    except FileNotFoundError:
        raise WizardError(f"{p}: answers file not found") from None
    except IsADirectoryError:
        raise WizardError(f"{p}: is a directory, not an answers file") from None
    except PermissionError:
        raise WizardError(f"{p}: permission denied") from None
    except UnicodeDecodeError:
        raise WizardError(f"{p}: not a UTF-8 text file") from None
    except OSError as exc:
        raise WizardError(f"{p}: cannot read ({exc.strerror})") from None
    try:
        data = load_bounded(getattr(yaml, "CSafeLoader", yaml.SafeLoader), text)
    except LimitExceeded as exc:
        raise WizardError(f"{p}: {exc} (primus-tui's YAML input limit)") from None
    except RecursionError:
        raise WizardError(f"{p}: nested too deeply to parse") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise WizardError(f"{p}: not valid YAML{where}: {(exc.problem or exc.context or 'syntax error').strip()}") from None
    except yaml.YAMLError as exc:
        raise WizardError(f"{p}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if data is None:
        raise WizardError(f"{p}: answers file is empty (start from examples/answers/tinyllama_1.1B.yaml)")
    if not isinstance(data, dict):
        raise WizardError(f"{p}: expected a mapping of answers at the top level, got {type(data).__name__}")
    return data


def _v(value: object) -> str:
    return scalar_yaml(value)


def _mapping(lines: list[str], indent: str, name: str, data: dict) -> None:
    """`name:` then one `key: value` line per entry, or `name: {}` when empty."""
    if not data:
        lines.append(f"{indent}{name}: {{}}")
        return
    lines.append(f"{indent}{name}:")
    for key, value in data.items():
        lines.append(f"{indent}  {_v(key)}: {_v(value)}")


def _render(obj: object, indent: str, lines: list[str]) -> None:
    """Each declared answer in order, with its declared comments (schema.answer / section / mapping)."""
    for f in dataclasses.fields(obj):
        meta, value = f.metadata, getattr(obj, f.name)
        if meta.get("only_with") and getattr(obj, meta["only_with"]) is None:
            continue
        if meta.get("blank"):
            lines.append("")
        if meta.get("doc"):
            lines.append(f"{indent}# {meta['doc']}")
        if "section" in meta:
            lines.append(f"{indent}{key_of(f)}:")
            _render(value, indent + "  ", lines)
        elif meta.get("open"):
            _mapping(lines, indent, key_of(f), value)
        else:
            note = f"  # {meta['note']}" if meta.get("note") else ""
            lines.append(f"{indent}{key_of(f)}: {_v(to_plain(value))}{note}")


def render_answers(answers: Answers) -> str:
    """Every answer written out (complete: replaying it gives the same files, byte for byte)."""
    lines = [
        f"# primus-tui answers (version {answers.version}). Replay: primus-tui --answers THIS_FILE",
        "# Inputs only, not the merged config; `--set key=value` wins over a value here.",
    ]
    _render(answers, "", lines)
    text = "\n".join(lines) + "\n"
    prove(text, _plain(answers), "answers file")  # render, then prove: it reads back as exactly these answers
    return text


def _plain(obj: object) -> dict:
    """What `_render` means to write, as the data YAML should read back."""
    out: dict = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.metadata.get("only_with") and getattr(obj, f.metadata["only_with"]) is None:
            continue
        if "section" in f.metadata:
            out[key_of(f)] = _plain(value) or None  # a section with nothing under it reads back as null
        else:
            out[key_of(f)] = to_plain(value)
    return out
