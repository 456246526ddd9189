"""`WizardState`: the one object the headless mode and the Textual app both drive.

Immutable: every step returns a new state (`with_model`, `with_base`, `set_field`, ...), so a
UI can keep history, compare, and rebuild its preview from one value. Derived data (the HF
mapping, ranked bases, presets) is computed lazily and cached per state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from primus_tui.config import ConfigError, ConfigTree
from primus_tui.errors import one_line
from primus_tui.wizard import schema
from primus_tui.wizard.answersfile import render_answers
from primus_tui.wizard.errors import WizardError
from primus_tui.wizard.experiment import ExperimentText, render_experiment
from primus_tui.wizard.naming import free_name
from primus_tui.wizard.plan import Plan, plan_file
from primus_tui.wizard.problems import Problem
from primus_tui.wizard.schema import (
    DEFAULT_SEQ_LENGTH,
    EXPERIMENT_DIR,
    MODEL_DIR,
    Answers,
    ExperimentAnswer,
    LaunchAnswer,
    ModelAnswer,
    TargetAnswer,
)

@dataclass(frozen=True)
class RunOutcome:
    """How the last `primus-cli` launch ended (step 4 of the checklist)."""

    mode: str  # "dry-run" | "run"
    exit_code: int
    command: tuple[str, ...] = ()


def _default_fetch(ref: str, revision: str | None = None):
    from primus_tui.hf import fetch_config

    return fetch_config(ref, revision)


@dataclass(frozen=True, eq=False)
class WizardState:
    """Answers plus the fetched HF config; everything else is derived from them."""

    answers: Answers = field(default_factory=Answers)
    hf: Any = None  # primus_tui.hf.HFConfig once fetched
    input_problems: tuple[Problem, ...] = ()  # answers-file shape/type problems (parse_answers)
    fetch_problem: Problem | None = None  # why the HF config could not be fetched
    run: RunOutcome | None = None
    written: frozenset[str] = frozenset()  # files (as displayed) this session wrote: the checklist says so

    # ---- construction ---------------------------------------------------------------------------

    @classmethod
    def new(cls, primus_root: str | Path | None = None) -> "WizardState":
        """An empty wizard over the bundled tree or a Primus checkout."""
        root = str(Path(primus_root).expanduser().resolve()) if primus_root else None
        return cls(Answers(target=TargetAnswer(root)))

    @classmethod
    def from_answers(cls, answers: Answers, problems: tuple[Problem, ...] | list[Problem] = (),
                     *, fetch: Callable | None = None) -> "WizardState":
        """State for parsed answers; fetches the HF config (a fetch error becomes a problem)."""
        state = cls(answers, None, tuple(problems))
        if answers.model.ref and not any(p.path.startswith("model") for p in problems):
            state = state._fetched(fetch)
        return state

    @classmethod
    def from_dict(cls, data: object, *, base_dir: Path | None = None, fetch: Callable | None = None) -> "WizardState":
        answers, problems = schema.parse_answers(data, base_dir)
        return cls.from_answers(answers, problems, fetch=fetch)

    def _fetched(self, fetch: Callable | None) -> "WizardState":
        """Fetch `answers.model` (at `commit` when pinned, keeping the revision's name)."""
        from primus_tui.hf import HFError

        model = self.answers.model
        where = "model.repo" if model.repo else "model.path"
        try:
            cfg = (fetch or _default_fetch)(model.ref, model.commit or model.revision)
        except (HFError, ConfigError, WizardError) as exc:
            return replace(self, hf=None, fetch_problem=Problem("model.commit" if model.commit else where, one_line(exc),
                                                           source="hf"))
        if model.commit:
            if getattr(cfg, "commit_sha", model.commit) != model.commit:
                return replace(self, hf=None, fetch_problem=Problem("model.commit", f"fetched commit {cfg.commit_sha}, "
                                                                    f"not the pinned {model.commit}", source="hf"))
            cfg = dataclasses.replace(cfg, revision=model.revision or "main")
        return replace(self, hf=cfg, fetch_problem=None)

    # ---- steps (each returns a new state) --------------------------------------------------------

    def with_model(self, ref: str, revision: str | None = None, *, fetch: Callable | None = None) -> "WizardState":
        """Step "Model": an HF repo id (optionally a revision) or a local folder / config.json; fetches."""
        local = Path(ref).expanduser().exists() or ref.startswith((".", "/", "~"))
        model = ModelAnswer(path=str(Path(ref).expanduser().resolve())) if local else ModelAnswer(repo=ref, revision=revision)
        return replace(self, answers=self._answers_for(model), run=None)._fetched(fetch)

    def with_hf(self, cfg: Any) -> "WizardState":
        """Step "Model" when the UI fetched in a worker: take an `HFConfig` as it is."""
        model = ModelAnswer(repo=cfg.repo_id, revision=cfg.revision) if cfg.repo_id else ModelAnswer(path=str(cfg.path))
        return replace(self, answers=self._answers_for(model), hf=cfg, fetch_problem=None, run=None)

    def _answers_for(self, model: ModelAnswer) -> Answers:
        """Another model starts over what was chosen for the previous one (its name, file, base and
        architecture edits): the plan must never target the old model's files. Answers given before
        any model was chosen are kept (they were typed for this one)."""
        old = self.answers
        if old.model.ref is None or old.model.ref == model.ref:
            return replace(old, model=model)
        return replace(old, model=model, name=None, base=None, architecture={}, accept_divergences=(),
                       experiment=replace(old.experiment, file=None, exp_name=None))

    def with_base(self, base: str | None) -> "WizardState":
        """Step "Base": a preset name (with or without .yaml); None goes back to the best-ranked one."""
        return self._with(base=schema.yaml_name(base) if base else None)

    def with_name(self, name: str | None) -> "WizardState":
        """The new model preset's name (`tinyllama_1.1B`); None: derived from the repo."""
        return self._with(name=name[:-5] if name and name.endswith(".yaml") else name)

    def set_field(self, key: str, value: object) -> "WizardState":
        """Step "Architecture": set any Megatron key on top of the HF values; the HF value itself
        (same type too: 1 is not 1.0) is no answer, so the file keeps saying where it came from."""
        hf = self.mapping.fields if self.mapping is not None else {}
        if key in hf and hf[key] == value and type(hf[key]) is type(value):
            return self.unset_field(key)
        return self._with(architecture={**self.answers.architecture, key: value})

    def unset_field(self, key: str) -> "WizardState":
        """Back to the HF value (or the base's, for a key the HF config does not set)."""
        return self._with(architecture={k: v for k, v in self.answers.architecture.items() if k != key})

    def set_override(self, key: str, value: object) -> "WizardState":
        """Step "Experiment": a training override (`train_iters`, `lr`, parallel sizes, any Megatron key)."""
        exp = self.answers.experiment
        return self._with(experiment=replace(exp, overrides={**exp.overrides, key: value}))

    def unset_override(self, key: str) -> "WizardState":
        exp = self.answers.experiment
        return self._with(experiment=replace(exp, overrides={k: v for k, v in exp.overrides.items() if k != key}))

    def with_experiment(self, **changes: object) -> "WizardState":
        """Experiment meta: file, work_group, user_name, exp_name, workspace, framework, module, config."""
        return self._with(experiment=replace(self.answers.experiment, **changes))

    def with_target(self, primus_root: str | Path | None) -> "WizardState":
        """Bundled tree (None) or a Primus checkout."""
        root = str(Path(primus_root).expanduser().resolve()) if primus_root else None
        return self._with(target=TargetAnswer(root))

    def with_launch(self, mode: str | None = None, **changes: object) -> "WizardState":
        """none | dry-run | run, plus single / log_file / env / overrides."""
        launch = replace(self.answers.launch, **({"mode": mode} if mode else {}), **changes)
        return self._with(launch=launch)

    def with_overwrite(self, policy: str) -> "WizardState":
        return self._with(overwrite=policy)

    def set_answer(self, path: str, value: object) -> "WizardState":
        """Any dotted answers path (what `--set` does); the result is re-checked like a file."""
        data = self.answers.to_dict()
        node = data
        parts = path.split(".")
        for part in parts[:-1]:
            child = node.get(part)
            node = node.setdefault(part, {}) if not isinstance(child, dict) else child
        node[parts[-1]] = value
        answers, problems = schema.parse_answers(data)
        state = replace(self, answers=answers, input_problems=tuple(problems), run=None)
        if parts[0] == "model" and answers.model != self.answers.model:
            state = replace(state, hf=None, fetch_problem=None)
            if answers.model.ref:
                state = state._fetched(None)
        return state

    def with_run_result(self, mode: str, exit_code: int, command: list[str] | tuple[str, ...] = ()) -> "WizardState":
        """Record a launch's end (checklist step 4)."""
        return replace(self, run=RunOutcome(mode, exit_code, tuple(command)))

    def with_written(self, displays: "Iterable[str]") -> "WizardState":
        """Record files this session wrote (an identical file found on disk was not written by us)."""
        return replace(self, written=self.written | frozenset(displays))

    def _with(self, **changes: object) -> "WizardState":
        return replace(self, answers=replace(self.answers, **changes), run=None)

    # ---- derived ---------------------------------------------------------------------------------

    @cached_property
    def _tree(self) -> tuple[ConfigTree | None, Problem | None]:
        root = self.answers.target.primus_root
        where = "target.primus_root"
        try:
            tree = ConfigTree.at(root)
        except ConfigError as exc:
            return None, Problem(where, one_line(exc), source="tree")
        for kind in ("models", "modules"):
            folder = tree.preset_dir(kind, self.answers.experiment.framework)
            if not folder.is_dir():
                return None, Problem(where, f"{tree.root}: not a Primus tree (no {tree.display(folder)}/ folder)",
                                     source="tree")
        return tree, None

    @property
    def tree(self) -> ConfigTree | None:
        """The target tree, or None when it is not a Primus layout (see `problems()`)."""
        return self._tree[0]

    @property
    def root(self) -> Path | None:
        return self.tree.root if self.tree else None

    @cached_property
    def _mapping(self) -> tuple[Any, Problem | None]:
        if self.hf is None:
            return None, None
        from primus_tui.hf import HFError, map_config

        try:
            return map_config(self.hf, accept=self.answers.accept_divergences), None
        except HFError as exc:
            where = "model.repo" if self.answers.model.repo else "model.path"
            if "--accept-divergence" in str(exc) and "not a divergence of this model" in str(exc):
                where = "accept_divergences"
            return None, Problem(where, one_line(exc), source="hf")

    @cached_property
    def _registry(self):
        """The Megatron argument registry for the target tree (its pinned Megatron-LM)."""
        from primus_tui.megatron.errors import RegistryError
        from primus_tui.megatron.registry import registry_for_root

        try:
            return registry_for_root(self.root), None
        except RegistryError as exc:
            return None, Problem("target.primus_root", one_line(exc), source="tree")

    @property
    def registry(self):
        """`primus_tui.megatron.registry.Registry` (None when the tree's registry cannot be had)."""
        return self._registry[0]

    @property
    def mapping(self):
        """`primus_tui.hf.ModelMapping` of the fetched config (None before a model is fetched)."""
        return self._mapping[0]

    @cached_property
    def name(self) -> str | None:
        """The new preset's name: the answer, or one derived from the model reference (once per
        state: deriving it looks at the tree's presets)."""
        if self.answers.name:
            return self.answers.name
        ref = self.answers.model.ref
        return free_name(schema.default_name(ref), self.tree, self.answers.experiment.framework) if ref else None

    @cached_property
    def bases(self) -> list:
        """`rank_bases` for the model over the target tree, without the file being written."""
        if self.mapping is None or self.tree is None:
            return []
        from primus_tui.hf import rank_bases

        own = f"{self.name}.yaml"
        return [b for b in rank_bases(self.mapping, self.tree) if b.name != own]

    @property
    def base(self) -> str | None:
        """The chosen base preset, or the best-ranked one when none was chosen."""
        if self.answers.base:
            return self.answers.base
        return self.bases[0].name if self.bases else None

    @property
    def base_candidate(self):
        """The `BaseCandidate` of the chosen base, when the ranking has it."""
        return next((b for b in self.bases if b.name == self.base), None) if self.mapping is not None else None

    def base_option(self) -> str | None:
        """The seed's option: "A" (language_model.yaml) or the ranking's label; never forces a ranking."""
        if "bases" in self.__dict__ or not self.answers.base:
            cand = self.base_candidate
            if cand is not None and getattr(cand, "option", None):
                return cand.option
        return "A" if self.base == "language_model.yaml" else None

    def _load(self, name: str | None, kind: str):
        if self.tree is None or not name:
            return None, None
        try:
            return self.tree.load_preset(name, kind, self.answers.experiment.framework), None
        except ConfigError as exc:
            return None, exc

    @cached_property
    def _module_preset(self):
        return self._load(self.answers.experiment.config, "modules")

    @cached_property
    def _base_preset(self):
        return self._load(self.base, "models")

    @property
    def module_values(self) -> dict:
        """The module preset's merged values (`pre_trainer.yaml`): these beat model keys."""
        loaded = self._module_preset[0]
        return loaded.data if loaded else {}

    @property
    def base_chain(self) -> tuple:
        """The files the base preset's `extends` chain reads (staged next to the planned files)."""
        loaded = self._base_preset[0]
        return loaded.chain if loaded else ()

    @property
    def base_values(self) -> dict:
        loaded = self._base_preset[0]
        return loaded.data if loaded else {}

    @cached_property
    def known_keys(self) -> frozenset[str]:
        """Every Megatron key this tree knows (module preset, base preset, HF mapping)."""
        keys = set(self.module_values) | set(self.base_values)
        if self.mapping is not None:
            keys |= set(self.mapping.fields)
        return frozenset(keys)

    def fields(self) -> dict:
        """The architecture the answers ask for: HF-mapped fields, then `architecture` answers."""
        base = dict(self.mapping.fields) if self.mapping is not None else {}
        return {**base, **self.answers.architecture}

    def field_source(self, key: str) -> str:
        """Where a field's value comes from: `answers`, `HF <key>`, or the base preset."""
        if key in self.answers.architecture:
            return "answers (architecture)"
        if self.mapping is not None and key in self.mapping.fields:
            hf_key = self.mapping.hf_source.get(key)
            return f"HF {hf_key}" if hf_key else "HF mapping"
        return f"base {self.base}" if key in self.base_values else "Megatron default"

    def overrides(self) -> dict:
        """The experiment's training overrides: the answers' (defaults included) plus seq_length."""
        ov = dict(self.answers.experiment.overrides)
        if "seq_length" not in ov:
            mpe = self.fields().get("max_position_embeddings", self.base_values.get("max_position_embeddings"))
            ov["seq_length"] = min(DEFAULT_SEQ_LENGTH, mpe) if isinstance(mpe, int) and mpe > 0 else DEFAULT_SEQ_LENGTH
        return ov

    def pinned(self) -> dict:
        """Model keys the module preset would beat (Primus precedence), repeated in `overrides`."""
        module, ov = self.module_values, self.overrides()
        return {k: v for k, v in self.fields().items() if k in module and module[k] != v and k not in ov}

    def effective(self, key: str, default: object = None) -> object:
        """What Primus will resolve `key` to: overrides > module preset > model fields > base."""
        for source in (self.overrides(), self.pinned(), self.module_values, self.fields(), self.base_values):
            if key in source:
                return source[key]
        return default

    def expected_architecture(self) -> dict:
        """Model keys and the values the answers ask for (an experiment override wins)."""
        ov = self.overrides()
        return {k: ov.get(k, v) for k, v in self.fields().items()}

    def param_count(self):
        """`primus_tui.hf.ParamCount` of the asked architecture (None if it cannot be counted)."""
        if self.mapping is None:
            return None
        from primus_tui.hf import param_count_from_fields

        merged = {**self.base_values, **self.expected_architecture()}
        try:
            return param_count_from_fields(
                merged,
                make_vocab_size_divisible_by=int(self.effective("make_vocab_size_divisible_by") or 128),
                tensor_model_parallel_size=int(self.effective("tensor_model_parallel_size") or 1),
            )
        except Exception:  # noqa: BLE001 - a count is information, never a reason to fail
            return None

    # ---- paths -------------------------------------------------------------------------------------

    @property
    def model_rel(self) -> Path | None:
        return MODEL_DIR / f"{self.name}.yaml" if self.name else None

    @property
    def experiment_file(self) -> str | None:
        if self.answers.experiment.file:
            return self.answers.experiment.file
        return f"{self.name}-pretrain.yaml" if self.name else None

    @property
    def experiment_rel(self) -> Path | None:
        return EXPERIMENT_DIR / self.experiment_file if self.experiment_file else None

    @property
    def exp_name(self) -> str:
        return self.answers.experiment.exp_name or f"${{PRIMUS_EXP_NAME:{self.name}-pretrain}}"

    # ---- outputs ---------------------------------------------------------------------------------

    def _require_inputs(self) -> None:
        """The outputs need a mapped model, a tree and a base (checks.check_state says why not)."""
        missing = [what for what, value in (("a fetched and mapped model", self.mapping), ("a Primus tree", self.tree),
                                            ("a base preset", self.base), ("a name", self.name)) if value is None]
        if missing:
            raise WizardError("not ready: needs " + ", ".join(missing))

    def model_yaml(self) -> str:
        """The generated model preset (HF import's renderer, with the `architecture` answers)."""
        self._require_inputs()
        from primus_tui.hf import render_model_yaml

        extra = dict(self.answers.architecture) or None
        return render_model_yaml(self.mapping, self.base, self.tree, name=self.name, hf=self.hf, extra=extra)

    def model_source(self) -> str:
        hf = self.hf
        if self.answers.model.repo:
            sha = getattr(hf, "commit_sha", None) or self.answers.model.revision
            return f"{self.answers.model.repo} @ {sha}" if sha else self.answers.model.repo
        return str(self.answers.model.path)

    def experiment_yaml(self) -> str:
        """The experiment in the seed's layout, pointing at `<name>.yaml`."""
        self._require_inputs()
        return render_experiment(
            self.answers.experiment,
            model_name=self.name,
            exp_name=self.exp_name,
            overrides=self.overrides(),
            pinned=self.pinned(),
            module_config=self.answers.experiment.config,
            text=ExperimentText(self.name, self.model_source(), str(self.model_rel), str(self.experiment_rel)),
        )

    def plan(self) -> Plan:
        """Each file: create / modify (with diff) / unchanged, against what is on disk now."""
        model, experiment = self.model_yaml(), self.experiment_yaml()
        root = self.tree.root
        return Plan(root, (plan_file("model", root, self.model_rel, model),
                           plan_file("experiment", root, self.experiment_rel, experiment)))

    def base_diff(self) -> list:
        """How the new model preset differs from its base, key by key (`extends` applied)."""
        import yaml

        from primus_tui.config import deep_merge, diff_configs

        own = yaml.safe_load(self.model_yaml()) or {}
        own.pop("extends", None)
        merged, _ = deep_merge(self.base_values, {}, own, {})
        return diff_configs(self.base_values, merged)

    def megatron_default(self, key: str) -> object:
        """What Megatron uses for a key the merged config leaves out: its argparse default."""
        spec = self.registry.args.get(key) if self.registry is not None else None
        default = spec.default if spec is not None else None
        return None if isinstance(default, dict) else default

    def launch_command(self) -> list[str] | None:
        """The `primus-cli direct` argv for `launch.mode` (dry-run adds --dry-run); None for none."""
        launch: LaunchAnswer = self.answers.launch
        if launch.mode == "none" or self.tree is None or self.experiment_rel is None:
            return None
        return self.command_for(launch.mode)

    def command_for(self, mode: str) -> list[str]:
        from primus_tui.launch import build_command

        launch = self.answers.launch
        return build_command(
            self.tree.root,
            self.experiment_rel,
            mode="direct",
            dry_run=mode == "dry-run",
            single=launch.single,
            env=dict(launch.env) or None,
            log_file=launch.log_file,
            overrides=list(launch.overrides) or None,
        )

    def complete_answers(self) -> Answers:
        """The answers with every default and HF value filled in (the commit pinned)."""
        a = self.answers
        model = a.model
        if model.repo and self.hf is not None:
            model = replace(model, revision=model.revision or getattr(self.hf, "revision", None) or "main",
                            commit=getattr(self.hf, "commit_sha", None) or model.commit)
        exp: ExperimentAnswer = replace(a.experiment, file=self.experiment_file, exp_name=self.exp_name,
                                        overrides=self.overrides())
        return replace(a, model=model, base=self.base, name=self.name, experiment=exp)

    def to_answers_yaml(self) -> str:
        """A complete answers file: replaying it writes the same bytes."""
        return render_answers(self.complete_answers())


