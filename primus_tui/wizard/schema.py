"""The answers file, version 1: the user's inputs (never the merged YAML), copier-style.

    version: 1
    model: {repo: ORG/NAME, revision: main, commit: SHA}  # or {path: /local/model/folder}
    base: language_model.yaml                  # null: the best-ranked preset
    name: tinyllama_1.1B                       # null: from the repo name
    architecture: {}                           # any Megatron key, on top of the HF values
    experiment: {file, work_group, user_name, exp_name, workspace, framework, module, config,
                 overrides: {mock_data, train_iters, micro_batch_size, ...any Megatron key}}
    target: {primus_root: null}                # null: the bundled tree
    overwrite: never                           # never | force
    launch: {mode: none, single: false, log_file: null, env: {}, overrides: []}

`parse_answers` checks the shape and types and reports every problem with its path;
Megatron-key and cross-field checks need the config tree and live in `wizard.checks.check_state`.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from primus_tui.wizard.problems import Problem, did_you_mean

VERSION = 1
LAUNCH_MODES = ("none", "dry-run", "run")
OVERWRITE_POLICIES = ("never", "force")
FRAMEWORKS = ("megatron",)
MODEL_DIR = Path("primus/configs/models/megatron")
EXPERIMENT_DIR = Path("examples/megatron/configs/MI300X")

# The seed's verification run; seq_length defaults to min(2048, max_position_embeddings).
DEFAULT_OVERRIDES: dict[str, object] = {
    "save": None,
    "disable_last_saving": True,
    "stderr_sink_level": "DEBUG",
    "mock_data": True,
    "train_iters": 50,
    "micro_batch_size": 2,
    "global_batch_size": 128,
}
DEFAULT_SEQ_LENGTH = 2048


@dataclass(frozen=True)
class ModelAnswer:
    """`commit` pins what `revision` resolved to when the answers were saved: replays read that
    exact config.json, and the model YAML header still names the revision asked for."""

    repo: str | None = None
    path: str | None = None
    revision: str | None = None
    commit: str | None = None

    @property
    def ref(self) -> str | None:
        """What `fetch_config` takes: the repo id or the local path."""
        return self.repo or self.path


@dataclass(frozen=True)
class ExperimentAnswer:
    file: str | None = None  # null: <name>-pretrain.yaml
    work_group: str = "${PRIMUS_TEAM:amd}"
    user_name: str = "${PRIMUS_USER:root}"
    exp_name: str | None = None  # null: ${PRIMUS_EXP_NAME:<name>-pretrain}
    workspace: str = "${PRIMUS_WORKSPACE:./output}"
    framework: str = "megatron"
    module: str = "pre_trainer"
    config: str = "pre_trainer.yaml"
    overrides: dict = field(default_factory=lambda: dict(DEFAULT_OVERRIDES))


@dataclass(frozen=True)
class TargetAnswer:
    primus_root: str | None = None  # null: the bundled tree


@dataclass(frozen=True)
class LaunchAnswer:
    mode: str = "none"
    single: bool = False
    log_file: str | None = None
    env: dict = field(default_factory=dict)
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answers:
    version: int = VERSION
    model: ModelAnswer = ModelAnswer()
    base: str | None = None
    name: str | None = None
    architecture: dict = field(default_factory=dict)
    # HF settings Megatron cannot express, accepted by name (the file says what Megatron builds instead)
    accept_divergences: tuple[str, ...] = ()
    # keys that are no Megatron argument on purpose (read by a Primus patch this registry cannot see)
    primus_only_keys: tuple[str, ...] = ()
    experiment: ExperimentAnswer = ExperimentAnswer()
    target: TargetAnswer = TargetAnswer()
    overwrite: str = "never"
    launch: LaunchAnswer = LaunchAnswer()

    def to_dict(self) -> dict:
        """Plain data in the file's key order (what `parse_answers` reads back)."""
        exp = self.experiment
        return {
            "version": self.version,
            "model": {"repo": self.model.repo, "path": self.model.path, "revision": self.model.revision,
                      "commit": self.model.commit},
            "base": self.base,
            "name": self.name,
            "architecture": copy.deepcopy(self.architecture),
            "accept_divergences": list(self.accept_divergences),
            "primus_only_keys": list(self.primus_only_keys),
            "experiment": {
                "file": exp.file,
                "work_group": exp.work_group,
                "user_name": exp.user_name,
                "exp_name": exp.exp_name,
                "workspace": exp.workspace,
                "framework": exp.framework,
                "module": exp.module,
                "config": exp.config,
                "overrides": copy.deepcopy(exp.overrides),
            },
            "target": {"primus_root": self.target.primus_root},
            "overwrite": self.overwrite,
            "launch": {
                "mode": self.launch.mode,
                "single": self.launch.single,
                "log_file": self.launch.log_file,
                "env": dict(self.launch.env),
                "overrides": list(self.launch.overrides),
            },
        }


# ---- shape ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Leaf:
    kinds: tuple[str, ...]
    choices: tuple[str, ...] = ()


OPEN = "open"  # a mapping of free keys (Megatron keys / env vars), checked elsewhere

SPEC: dict[str, object] = {
    "version": Leaf(("int",)),
    "model": {"repo": Leaf(("str", "null")), "path": Leaf(("str", "null")), "revision": Leaf(("str", "null")),
              "commit": Leaf(("str", "null"))},
    "base": Leaf(("str", "null")),
    "name": Leaf(("str", "null")),
    "architecture": OPEN,
    "accept_divergences": Leaf(("list",)),
    "primus_only_keys": Leaf(("list",)),
    "experiment": {
        "file": Leaf(("str", "null")),
        "work_group": Leaf(("str",)),
        "user_name": Leaf(("str",)),
        "exp_name": Leaf(("str", "null")),
        "workspace": Leaf(("str",)),
        "framework": Leaf(("str",), FRAMEWORKS),
        "module": Leaf(("str",)),
        "config": Leaf(("str",)),
        "overrides": OPEN,
    },
    "target": {"primus_root": Leaf(("str", "null"))},
    "overwrite": Leaf(("str",), OVERWRITE_POLICIES),
    "launch": {
        "mode": Leaf(("str",), LAUNCH_MODES),
        "single": Leaf(("bool",)),
        "log_file": Leaf(("str", "null")),
        "env": OPEN,
        "overrides": Leaf(("list",)),
    },
}

_KIND_NAMES = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false",
               "null": "null", "map": "a mapping", "list": "a list"}


def kind_ok(value: object, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if kind == "map":
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, list)
    return True


def describe(value: object) -> str:
    """`str 'abc'`, `int 5`, `null`: how a wrong value is shown."""
    if value is None:
        return "null"
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{type(value).__name__} {shown}"


def expected(kinds: tuple[str, ...]) -> str:
    return " or ".join(_KIND_NAMES[k] for k in kinds)


def type_problem(path: str, value: object, kinds: tuple[str, ...]) -> Problem | None:
    if any(kind_ok(value, k) for k in kinds):
        return None
    return Problem(path, f"expected {expected(kinds)}, got {describe(value)}")


# ---- names ------------------------------------------------------------------------------------

_SHA = re.compile(r"[0-9a-f]{40}")
_SECRET = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|ACCESS_KEY|CREDENTIAL", re.IGNORECASE)
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


def name_problem(path: str, name: str, what: str) -> Problem | None:
    """A file-name-safe name: no `/`, no `..`, no leading dot or dash."""
    if "/" in name or "\\" in name:
        return Problem(path, f"{what} {name!r} must be a plain file name, without '/'")
    if ".." in name:
        return Problem(path, f"{what} {name!r} must not contain '..'")
    if not _SAFE_NAME.fullmatch(name):
        return Problem(path, f"{what} {name!r} may only use letters, digits, '.', '_', '+' and '-' (not first)")
    return None


def yaml_name(name: str) -> str:
    """`foo` and `foo.yaml` both mean `foo.yaml` (Primus's preset rule)."""
    return name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"


def default_name(ref: str) -> str:
    """`TinyLlama/TinyLlama-1.1B-Chat-v1.0` -> `tinyllama_1.1b_chat_v1.0`."""
    tail = ref.rstrip("/").replace("\\", "/").split("/")[-1]
    if tail == "config.json":
        tail = ref.rstrip("/").replace("\\", "/").split("/")[-2] if "/" in ref else "model"
    cleaned = re.sub(r"[^A-Za-z0-9._+]+", "_", tail.lower()).strip("._+") or "model"
    return cleaned.replace("..", ".")


# ---- parsing ----------------------------------------------------------------------------------

def parse_answers(data: object, base_dir: Path | None = None) -> tuple[Answers, list[Problem]]:
    """Check shape and types of loaded YAML; return the answers (defaults where a value was bad) and
    every problem found. Relative `model.path` / `target.primus_root` are taken from `base_dir`."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return Answers(), [Problem("", f"expected a mapping at the top level, got {describe(data)}")]
    clean = _walk(data, SPEC, "", problems)

    version = clean.get("version", VERSION)
    if version != VERSION:
        problems.append(Problem("version", f"unsupported answers version {version!r} (this primus-tui reads version {VERSION})"))

    model = ModelAnswer(**clean.get("model", {}))
    if model.repo and model.path:
        problems.append(Problem("model", "give either model.repo (HF repo id) or model.path (local folder), not both"))
    if model.path and model.revision:
        problems.append(Problem("model.revision", "a revision only applies to model.repo, not a local model.path"))
    if model.path and model.commit:
        problems.append(Problem("model.commit", "a commit only applies to model.repo, not a local model.path"))
    if model.commit is not None and not _SHA.fullmatch(model.commit):
        problems.append(Problem("model.commit", f"{model.commit!r} is not a 40-character commit sha"))
    if model.path and base_dir is not None and not Path(model.path).expanduser().is_absolute():
        model = replace(model, path=str((base_dir / Path(model.path).expanduser()).resolve()))
    for key in ("repo", "revision"):
        value = getattr(model, key)
        if value is not None and (not value.strip() or value != value.strip()):
            problems.append(Problem(f"model.{key}", f"{value!r} is empty or has surrounding spaces"))

    name = clean.get("name")
    if isinstance(name, str):
        name = name[: -len(".yaml")] if name.endswith(".yaml") else name
        if (p := name_problem("name", name, "name")) is not None:
            problems.append(p)
    base = clean.get("base")
    if isinstance(base, str):
        if (p := name_problem("base", base, "base")) is not None:
            problems.append(p)
        base = yaml_name(base)

    exp_data = dict(clean.get("experiment", {}))
    overrides = dict(DEFAULT_OVERRIDES)
    overrides.update(exp_data.pop("overrides", {}) or {})
    experiment = ExperimentAnswer(**exp_data, overrides=overrides)
    if experiment.file is not None:
        if (p := name_problem("experiment.file", experiment.file, "experiment file")) is not None:
            problems.append(p)
        elif not experiment.file.endswith(".yaml"):
            problems.append(Problem("experiment.file", f"{experiment.file!r} must end with .yaml"))
    if not experiment.config.strip():
        problems.append(Problem("experiment.config", "empty module config name"))
    if "trainer" not in experiment.module:
        problems.append(Problem("experiment.module", f"{experiment.module!r}: Primus only runs trainer modules (e.g. pre_trainer)"))

    target = TargetAnswer(**clean.get("target", {}))
    if target.primus_root is not None and base_dir is not None and not Path(target.primus_root).expanduser().is_absolute():
        target = TargetAnswer(str((base_dir / Path(target.primus_root).expanduser()).resolve()))

    launch_data = dict(clean.get("launch", {}))
    env = launch_data.pop("env", {}) or {}
    launch_ov = launch_data.pop("overrides", []) or []
    env_clean: dict[str, str] = {}
    for key, value in env.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(key)):
            problems.append(Problem(f"launch.env.{key}", "not a valid environment variable name"))
        elif _SECRET.search(str(key)):
            problems.append(Problem(f"launch.env.{key}", "looks like a secret; export it in your shell instead "
                                                         "(the launch inherits your environment; answers files get shared)"))
        elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
            problems.append(Problem(f"launch.env.{key}", f"expected a string (quote it), got {describe(value)}"))
        else:
            env_clean[str(key)] = str(value)
    ov_clean: list[str] = []
    for i, token in enumerate(launch_ov):
        if not isinstance(token, str) or not token.strip():
            problems.append(Problem(f"launch.overrides[{i}]", f"expected a 'key=value' string, got {describe(token)}"))
        else:
            ov_clean.append(token)
    launch = LaunchAnswer(**launch_data, env=env_clean, overrides=tuple(ov_clean))

    names: dict[str, tuple[str, ...]] = {}
    for key in ("accept_divergences", "primus_only_keys"):
        items = clean.get(key) or []
        bad = [i for i, item in enumerate(items) if not isinstance(item, str) or not re.fullmatch(r"\w+", item)]
        for i in bad:
            problems.append(Problem(f"{key}[{i}]", f"expected a key name, got {describe(items[i])}"))
        names[key] = tuple(item for i, item in enumerate(items) if i not in bad)

    answers = Answers(
        version=VERSION,
        model=model,
        base=base,
        name=name,
        architecture=dict(clean.get("architecture", {})),
        accept_divergences=names["accept_divergences"],
        primus_only_keys=names["primus_only_keys"],
        experiment=experiment,
        target=target,
        overwrite=clean.get("overwrite", "never"),
        launch=launch,
    )
    return answers, problems


def _walk(data: dict, spec: dict, prefix: str, problems: list[Problem]) -> dict:
    """Keep the well-typed keys of `data` that `spec` knows; report the rest."""
    out: dict = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if not isinstance(key, str) or key not in spec:
            problems.append(Problem(path, "unknown key" + did_you_mean(str(key), spec)))
            continue
        rule = spec[key]
        if rule == OPEN:
            if value is None:
                out[key] = {}
            elif not isinstance(value, dict):
                problems.append(Problem(path, f"expected a mapping, got {describe(value)}"))
            else:
                bad = [k for k in value if not isinstance(k, str)]
                for k in bad:
                    problems.append(Problem(f"{path}.{k}", "keys must be strings"))
                out[key] = {k: v for k, v in value.items() if isinstance(k, str)}
        elif isinstance(rule, dict):
            if value is None:
                out[key] = {}
            elif not isinstance(value, dict):
                problems.append(Problem(path, f"expected a mapping, got {describe(value)}"))
            else:
                out[key] = _walk(value, rule, path + ".", problems)
        else:
            assert isinstance(rule, Leaf)
            if (p := type_problem(path, value, rule.kinds)) is not None:
                problems.append(p)
            elif rule.choices and value not in rule.choices:
                problems.append(Problem(path, f"{value!r} is not one of {', '.join(rule.choices)}" + did_you_mean(str(value), rule.choices)))
            else:
                out[key] = value
    return out


# ---- --set key=value --------------------------------------------------------------------------

_FLOAT = re.compile(r"[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?")


def coerce_set_value(path: str, raw: str) -> object:
    """A `--set` value: raw text where the schema wants a string; YAML (plus `1e-5` floats) elsewhere."""
    leaf = _leaf_at(path)
    if leaf is not None and "str" in leaf.kinds and not {"int", "float", "bool"} & set(leaf.kinds):
        return None if raw in ("null", "~") and "null" in leaf.kinds else raw
    import yaml

    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        return raw
    if isinstance(value, str) and _FLOAT.fullmatch(value.strip()):
        return float(value)
    return value


def _leaf_at(path: str) -> Leaf | None:
    node: object = SPEC
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, Leaf) else None


def apply_sets(data: dict, sets: list[str]) -> tuple[dict, list[Problem]]:
    """Apply `--set a.b.c=value` (wins over the file); dotted paths create mappings as needed."""
    result = copy.deepcopy(data)
    problems: list[Problem] = []
    for item in sets:
        if "=" not in item:
            problems.append(Problem("--set", f"{item!r}: expected key=value (e.g. experiment.overrides.train_iters=100)"))
            continue
        path, raw = item.split("=", 1)
        path = path.strip()
        parts = path.split(".")
        if not path or any(not p for p in parts):
            problems.append(Problem("--set", f"{item!r}: malformed key {path!r}"))
            continue
        node = result
        ok = True
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                problems.append(Problem("--set", f"{item!r}: {'.'.join(parts[: i + 1])} is not a mapping"))
                ok = False
                break
            node = child
        if ok:
            node[parts[-1]] = coerce_set_value(path, raw)
    return result, problems
