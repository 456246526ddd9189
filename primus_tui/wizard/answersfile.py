"""Read an answers file (one-line errors) and write one back, commented and stable for replay."""

from __future__ import annotations

from pathlib import Path

from primus_tui.config.limits import LimitExceeded, load_bounded, read_bounded
from primus_tui.config.render import scalar_yaml
from primus_tui.wizard.errors import WizardError
from primus_tui.wizard.schema import EXPERIMENT_DIR, MODEL_DIR, Answers


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


def render_answers(answers: Answers) -> str:
    """Every answer written out (complete: replaying it gives the same files, byte for byte)."""
    a = answers
    exp = a.experiment
    lines = [
        f"# primus-tui answers (version {a.version}). Replay: primus-tui --answers THIS_FILE",
        "# Inputs only, not the merged config; `--set key=value` wins over a value here.",
        f"version: {a.version}",
        "",
        "# Hugging Face model: repo id and revision, or a local folder",
        "model:",
    ]
    if a.model.repo is not None:
        lines.append(f"  repo: {_v(a.model.repo)}")
        lines.append(f"  revision: {_v(a.model.revision)}")
        lines.append(f"  commit: {_v(a.model.commit)}  # what the revision was when saved; replays read this commit")
    if a.model.path is not None:
        lines.append(f"  path: {_v(a.model.path)}")
    lines += [
        f"# preset to extend, from {MODEL_DIR}/",
        f"base: {_v(a.base)}",
        f"# the new model preset: {MODEL_DIR}/<name>.yaml",
        f"name: {_v(a.name)}",
        "# Megatron keys set on top of the values mapped from the HF config",
    ]
    _mapping(lines, "", "architecture", a.architecture)
    lines += [
        "# HF settings Megatron cannot express, accepted by name (e.g. rope_scaling_factor)",
        f"accept_divergences: {_v(list(a.accept_divergences))}",
        "# keys that are no Megatron argument on purpose (else an unknown key is an error)",
        f"primus_only_keys: {_v(list(a.primus_only_keys))}",
        "",
        "experiment:",
        f"  file: {_v(exp.file)}  # under {EXPERIMENT_DIR}/",
        f"  work_group: {_v(exp.work_group)}",
        f"  user_name: {_v(exp.user_name)}",
        f"  exp_name: {_v(exp.exp_name)}",
        f"  workspace: {_v(exp.workspace)}",
        f"  framework: {_v(exp.framework)}",
        f"  module: {_v(exp.module)}",
        f"  config: {_v(exp.config)}",
    ]
    _mapping(lines, "  ", "overrides", exp.overrides)
    lines += [
        "",
        "# null: the tree bundled with primus-tui; else a Primus checkout",
        "target:",
        f"  primus_root: {_v(a.target.primus_root)}",
        "# never: refuse to replace a file that differs; force: replace it",
        f"overwrite: {_v(a.overwrite)}",
        "",
        "# none | dry-run | run: `primus-cli direct -- train pretrain --config <experiment>`",
        "launch:",
        f"  mode: {_v(a.launch.mode)}",
        f"  single: {_v(a.launch.single)}",
        f"  log_file: {_v(a.launch.log_file)}",
    ]
    _mapping(lines, "  ", "env", a.launch.env)
    lines.append(f"  overrides: {_v(list(a.launch.overrides))}")
    return "\n".join(lines) + "\n"
