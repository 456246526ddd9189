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
    launch: {mode: none, single: false, log_file: null, env: {}, overrides: [],
             gpu: null, allow_over_memory: false}

`parse_answers` checks the shape and types and reports every problem with its path;
Megatron-key and cross-field checks need the config tree and live in `wizard.checks.check_state`.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from primus_tui.config.yamlsafe import has_control
from primus_tui.plan.gpus import GPUS
from primus_tui.wizard.problems import Problem, did_you_mean

VERSION = 1
LAUNCH_MODES = ("none", "dry-run", "run")
OVERWRITE_POLICIES = ("never", "force")
FRAMEWORKS = ("megatron",)
MODEL_DIR = Path("primus/configs/models/megatron")
EXPERIMENT_DIR = Path("examples/megatron/configs/MI300X")
CHECKPOINT_DIR = Path("checkpoints")  # converted HF weights, under the Primus root

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


# ---- the declaration: every answer once, with its type, choices and the file's comment ----------

OPEN = "open"  # a mapping of free keys (Megatron keys / env vars), checked elsewhere


@dataclass(frozen=True)
class Leaf:
    kinds: tuple[str, ...]
    choices: tuple[str, ...] = ()


def answer(default: object = None, *, kinds: tuple[str, ...], choices: tuple[str, ...] = (), doc: str = "",
           note: str = "", only_with: str | None = None, blank: bool = False, key: str | None = None):
    """One answer: `kinds` and `choices` check it, `doc` is the comment line above it in the answers
    file (and its JSON-schema description), `note` the comment after it; `only_with` writes it only
    when that sibling is set (model.revision only with model.repo); `key` is its name in the file when
    that cannot be the field's (a Python keyword: `from`)."""
    meta = {"leaf": Leaf(kinds, choices), "doc": doc, "note": note, "only_with": only_with, "blank": blank}
    return field(default=default, metadata={**meta, "key": key} if key else meta)


def key_of(f: dataclasses.Field) -> str:
    """An answer's key in the file."""
    return f.metadata.get("key", f.name)


def from_keys(cls: type, data: dict) -> object:
    """A declared answers dataclass from file keys (parsed data)."""
    names = {key_of(f): f.name for f in dataclasses.fields(cls)}
    return cls(**{names[k]: v for k, v in data.items()})


def mapping(*, doc: str = "", factory=dict, blank: bool = False):
    """A mapping of free keys (Megatron keys, environment variables): its keys are checked elsewhere."""
    return field(default_factory=factory, metadata={"open": True, "doc": doc, "note": "", "only_with": None,
                                                    "blank": blank})


def section(cls: type, *, doc: str = "", blank: bool = False):
    """A nested group of answers."""
    return field(default_factory=cls, metadata={"section": cls, "doc": doc, "note": "", "only_with": None,
                                                "blank": blank})


_NAMES = ("list",)
_STR_OR_NULL = ("str", "null")


@dataclass(frozen=True)
class ModelAnswer:
    """`commit` pins what `revision` resolved to when the answers were saved: replays read that
    exact config.json, and the model YAML header still names the revision asked for."""

    repo: str | None = answer(kinds=_STR_OR_NULL, only_with="repo")
    revision: str | None = answer(kinds=_STR_OR_NULL, only_with="repo")
    commit: str | None = answer(kinds=_STR_OR_NULL, only_with="repo",
                                note="what the revision was when saved; replays read this commit")
    path: str | None = answer(kinds=_STR_OR_NULL, only_with="path")

    @property
    def ref(self) -> str | None:
        """What `fetch_config` takes: the repo id or the local path."""
        return self.repo or self.path


INIT_SOURCES = ("random", "hf")


@dataclass(frozen=True)
class InitAnswer:
    """Where the weights start: random (Megatron's init) or the HF model's own weights, converted once
    into a megatron-core checkpoint that the experiment `load`s (`primus-tui convert`)."""

    source: str = answer("random", kinds=("str",), choices=INIT_SOURCES, key="from",
                         note="hf: continue from the model's weights (converted at write time)")
    checkpoint: str | None = answer(kinds=_STR_OR_NULL,
                                    note="checkpoint folder, relative to the Primus root (null: checkpoints/<name>)")


@dataclass(frozen=True)
class ExperimentAnswer:
    file: str | None = answer(kinds=_STR_OR_NULL, note=f"under {EXPERIMENT_DIR}/ (null: <name>-pretrain.yaml)")
    work_group: str = answer("${PRIMUS_TEAM:amd}", kinds=("str",))
    user_name: str = answer("${PRIMUS_USER:root}", kinds=("str",))
    exp_name: str | None = answer(kinds=_STR_OR_NULL, note="null: ${PRIMUS_EXP_NAME:<name>-pretrain}")
    workspace: str = answer("${PRIMUS_WORKSPACE:./output}", kinds=("str",))
    framework: str = answer("megatron", kinds=("str",), choices=FRAMEWORKS)
    module: str = answer("pre_trainer", kinds=("str",))
    config: str = answer("pre_trainer.yaml", kinds=("str",))
    overrides: dict = mapping(doc="training overrides: any Megatron key", factory=lambda: dict(DEFAULT_OVERRIDES))
    init: InitAnswer = section(InitAnswer, doc="initial weights: random | hf (the model's own, for continued pretraining)")


@dataclass(frozen=True)
class TargetAnswer:
    primus_root: str | None = answer(kinds=_STR_OR_NULL)


@dataclass(frozen=True)
class LaunchAnswer:
    mode: str = answer("none", kinds=("str",), choices=LAUNCH_MODES)
    single: bool = answer(False, kinds=("bool",))
    log_file: str | None = answer(kinds=_STR_OR_NULL)
    env: dict = mapping()
    overrides: tuple[str, ...] = answer((), kinds=_NAMES)
    gpu: str | None = answer(kinds=_STR_OR_NULL, choices=(*GPUS, "cpu"),
                             note="GPU kind of this machine for the memory check (null: CPU RAM)")
    allow_over_memory: bool = answer(False, kinds=("bool",),
                                     note="launch even when the memory check says it will not fit")


@dataclass(frozen=True)
class Answers:
    version: int = answer(VERSION, kinds=("int",))
    model: ModelAnswer = section(ModelAnswer, doc="Hugging Face model: repo id and revision, or a local folder",
                                 blank=True)
    base: str | None = answer(kinds=_STR_OR_NULL, doc=f"preset to extend, from {MODEL_DIR}/ (null: the best-ranked)")
    name: str | None = answer(kinds=_STR_OR_NULL,
                              doc=f"the new model preset: {MODEL_DIR}/<name>.yaml (null: from the repo)")
    architecture: dict = mapping(doc="Megatron keys set on top of the values mapped from the HF config")
    accept_divergences: tuple[str, ...] = answer(
        (), kinds=_NAMES, doc="HF settings Megatron cannot express, accepted by name (e.g. rope_scaling_factor)")
    primus_only_keys: tuple[str, ...] = answer(
        (), kinds=_NAMES, doc="keys that are no Megatron argument on purpose (else an unknown key is an error)")
    experiment: ExperimentAnswer = section(ExperimentAnswer, blank=True)
    target: TargetAnswer = section(TargetAnswer, doc="null: the tree bundled with primus-tui; else a Primus checkout",
                                   blank=True)
    overwrite: str = answer("never", kinds=("str",), choices=OVERWRITE_POLICIES,
                            doc="never: refuse to replace a file that differs; force: replace it (with --force)")
    launch: LaunchAnswer = section(
        LaunchAnswer, doc="none | dry-run | run: `primus-cli direct -- train pretrain --config <experiment>`", blank=True)

    def to_dict(self) -> dict:
        """Plain data in the file's key order (what `parse_answers` reads back)."""
        return to_plain(self)


# ---- derived from the declaration --------------------------------------------------------------

def to_plain(value: object) -> object:
    """Dataclasses -> dicts in field order, tuples -> lists, mappings copied (the answers as YAML data)."""
    if dataclasses.is_dataclass(value):
        return {key_of(f): to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return copy.deepcopy(value)
    return value


def spec_of(cls: type) -> dict[str, object]:
    """The shape `parse_answers` checks: Leaf / OPEN / nested dict, per declared field."""
    out: dict[str, object] = {}
    for f in dataclasses.fields(cls):
        if "section" in f.metadata:
            out[key_of(f)] = spec_of(f.metadata["section"])
        elif f.metadata.get("open"):
            out[key_of(f)] = OPEN
        else:
            out[key_of(f)] = f.metadata["leaf"]
    return out


SPEC: dict[str, object] = spec_of(Answers)

_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "null": "null",
               "map": "object", "list": "array"}


def json_schema(cls: type | None = None) -> dict:
    """JSON Schema (draft 2020-12) of the answers file, for editors and CI linters."""
    cls = cls or Answers
    props: dict[str, dict] = {}
    for f in dataclasses.fields(cls):
        meta = f.metadata
        if "section" in meta:
            prop = json_schema(meta["section"])
        elif meta.get("open"):
            prop = {"type": "object"}
        else:
            leaf: Leaf = meta["leaf"]
            types = [_JSON_TYPES[k] for k in leaf.kinds]
            prop = {"type": types[0] if len(types) == 1 else types}
            if leaf.choices:
                prop["enum"] = list(leaf.choices) + ([None] if "null" in leaf.kinds else [])
            if "list" in leaf.kinds:
                prop["items"] = {"type": "string"}
        text = "; ".join(t for t in (meta.get("doc"), meta.get("note")) if t)
        if text:
            prop["description"] = text
        props[key_of(f)] = prop
    schema: dict = {"type": "object", "properties": props, "additionalProperties": False}
    if cls is Answers:
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "primus-tui answers", **schema}
    return schema


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
MAX_NAME = 200  # names are ASCII; `<name>-pretrain.yaml` must fit NAME_MAX (255 bytes)


def name_problem(path: str, name: str, what: str) -> Problem | None:
    """A file-name-safe name: no `/`, no `..`, no leading dot or dash."""
    if "/" in name or "\\" in name:
        return Problem(path, f"{what} {name!r} must be a plain file name, without '/'")
    if ".." in name:
        return Problem(path, f"{what} {name!r} must not contain '..'")
    if not _SAFE_NAME.fullmatch(name):
        return Problem(path, f"{what} {name!r} may only use letters, digits, '.', '_', '+' and '-' (not first)")
    if len(name) > MAX_NAME:
        return Problem(path, f"{what} is {len(name)} characters long; at most {MAX_NAME} (a file name, with its "
                             "'-pretrain.yaml', stops at 255 bytes)")
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

def with_answer(answers: Answers, path: str, value: object) -> tuple[Answers, list[Problem]]:
    """The answers with one dotted path set (what `--set` does), re-checked like a file."""
    data = answers.to_dict()
    node = data
    parts = path.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        node = node.setdefault(part, {}) if not isinstance(child, dict) else child
    node[parts[-1]] = value
    return parse_answers(data)


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
        if value is not None and has_control(value):
            problems.append(Problem(f"model.{key}", f"{value!r} contains a control character; not allowed"))
        elif value is not None and (not value.strip() or value != value.strip()):
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
    init = from_keys(InitAnswer, exp_data.pop("init", {}) or {})
    experiment = ExperimentAnswer(**exp_data, overrides=overrides, init=init)
    if init.checkpoint is not None and (has_control(init.checkpoint) or not init.checkpoint.strip()):
        problems.append(Problem("experiment.init.checkpoint", f"{init.checkpoint!r} is empty or has a control "
                                                              "character; not allowed"))
    if experiment.file is not None:
        if (p := name_problem("experiment.file", experiment.file, "experiment file")) is not None:
            problems.append(p)
        elif not experiment.file.endswith(".yaml"):
            problems.append(Problem("experiment.file", f"{experiment.file!r} must end with .yaml"))
    for key in ("work_group", "user_name", "exp_name", "workspace", "module", "config"):
        value = getattr(experiment, key)
        if isinstance(value, str) and has_control(value):  # a newline here could start a key in the YAML
            problems.append(Problem(f"experiment.{key}", f"{value!r} contains a control character; not allowed"))
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
            elif rule.choices and value is not None and value not in rule.choices:
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
