"""`WizardState`: the one object the headless mode and the Textual app both drive.

Immutable: every step returns a new state (`with_model`, `with_base`, `set_field`, ...), so a
UI can keep history, compare, and rebuild its preview from one value. A state is the answers plus
their `Context` (what they point at, loaded: `wizard.context`); what they mean and produce are
functions of (answers, context) in `wizard.derive` and `wizard.outputs`, offered here as attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from primus_tui.wizard import derive, outputs, schema
from primus_tui.wizard.context import Context, fetch_model, model_answer
from primus_tui.wizard.problems import Problem
from primus_tui.wizard.schema import Answers, ModelAnswer, TargetAnswer


@dataclass(frozen=True)
class RunOutcome:
    """How the last `primus-cli` launch ended (step 4 of the checklist)."""

    mode: str  # "dry-run" | "run"
    exit_code: int
    command: tuple[str, ...] = ()


def _loaded(piece: str) -> property:
    """A piece of the context, read as an attribute of the state."""
    return property(lambda self: getattr(self.context, piece), doc=f"`Context.{piece}`")


def _meaning(function: Callable, *, answers: bool = True, attribute: bool = False):
    """A function of (answers, context) [or of the context alone], as a method or attribute of the state."""
    def method(self, *args, **kwargs):
        return function(*((self.answers,) if answers else ()), self.context, *args, **kwargs)

    method.__doc__ = function.__doc__
    return property(method) if attribute else method


def _root(primus_root: str | Path | None) -> str | None:
    return str(Path(primus_root).expanduser().resolve()) if primus_root else None


@dataclass(frozen=True, eq=False)
class WizardState:
    """The answers and what they point at; everything else is derived from the two."""

    answers: Answers = field(default_factory=Answers)
    context: Context = None  # type: ignore[assignment]  # built from the answers when not given
    input_problems: tuple[Problem, ...] = ()  # answers-file shape/type problems (parse_answers)
    run: RunOutcome | None = None
    written: frozenset[str] = frozenset()  # files (as displayed) this session wrote: the checklist says so

    def __post_init__(self) -> None:
        if self.context is None:
            object.__setattr__(self, "context", Context.of(self.answers))

    # ---- construction ---------------------------------------------------------------------------

    @classmethod
    def new(cls, primus_root: str | Path | None = None) -> "WizardState":
        """An empty wizard over the bundled tree or a Primus checkout."""
        return cls(Answers(target=TargetAnswer(_root(primus_root))))

    @classmethod
    def from_answers(cls, answers: Answers, problems: tuple[Problem, ...] | list[Problem] = (),
                     *, fetch: Callable | None = None) -> "WizardState":
        """State for parsed answers; fetches the HF config (a fetch error becomes a problem)."""
        state = cls(answers, input_problems=tuple(problems))
        if answers.model.ref and not any(p.path.startswith("model") for p in problems):
            state = state._fetched(fetch)
        return state

    @classmethod
    def from_dict(cls, data: object, *, base_dir: Path | None = None, fetch: Callable | None = None) -> "WizardState":
        answers, problems = schema.parse_answers(data, base_dir)
        return cls.from_answers(answers, problems, fetch=fetch)

    def _fetched(self, fetch: Callable | None) -> "WizardState":
        return self._with_hf(*fetch_model(self.answers.model, fetch))

    def _with_hf(self, hf: Any, problem: Problem | None = None) -> "WizardState":
        return replace(self, context=Context.of(self.answers, hf, problem, previous=self.context))

    # ---- steps (each returns a new state) --------------------------------------------------------

    def with_model(self, ref: str, revision: str | None = None, *, fetch: Callable | None = None) -> "WizardState":
        """Step "Model": an HF repo id (optionally a revision) or a local folder / config.json; fetches."""
        answers = derive.answers_for_model(self.answers, model_answer(ref, revision))
        return self._answered(answers, hf=None)._fetched(fetch)

    def with_hf(self, cfg: Any) -> "WizardState":
        """Step "Model" when the UI fetched in a worker: take an `HFConfig` as it is."""
        model = ModelAnswer(repo=cfg.repo_id, revision=cfg.revision) if cfg.repo_id else ModelAnswer(path=str(cfg.path))
        return self._answered(derive.answers_for_model(self.answers, model), hf=cfg)

    def with_base(self, base: str | None) -> "WizardState":
        """Step "Base": a preset name (with or without .yaml); None goes back to the best-ranked one."""
        return self._with(base=schema.yaml_name(base) if base else None)

    def with_name(self, name: str | None) -> "WizardState":
        """The new model preset's name (`tinyllama_1.1B`); None: derived from the repo."""
        return self._with(name=name[:-5] if name and name.endswith(".yaml") else name)

    def set_field(self, key: str, value: object) -> "WizardState":
        """Step "Architecture": set any Megatron key on top of the HF values; the HF value itself
        is no answer, so the file keeps saying where it came from."""
        if derive.is_hf_value(self.context, key, value):
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

    def with_init(self, **changes: object) -> "WizardState":
        """Initial weights: source (random | hf) and checkpoint (the converted folder)."""
        return self.with_experiment(init=replace(self.answers.experiment.init, **changes))

    def with_target(self, primus_root: str | Path | None) -> "WizardState":
        """Bundled tree (None) or a Primus checkout."""
        return self._with(target=TargetAnswer(_root(primus_root)))

    def with_launch(self, mode: str | None = None, **changes: object) -> "WizardState":
        """none | dry-run | run, plus single / log_file / env / overrides."""
        return self._with(launch=replace(self.answers.launch, **({"mode": mode} if mode else {}), **changes))

    def with_overwrite(self, policy: str) -> "WizardState":
        return self._with(overwrite=policy)

    def set_answer(self, path: str, value: object) -> "WizardState":
        """Any dotted answers path (what `--set` does); the result is re-checked like a file."""
        answers, problems = schema.with_answer(self.answers, path, value)
        if answers.model != self.answers.model:
            state = self._answered(answers, hf=None, input_problems=tuple(problems))
            return state._fetched(None) if answers.model.ref else state
        return self._answered(answers, input_problems=tuple(problems))

    def with_run_result(self, mode: str, exit_code: int, command: list[str] | tuple[str, ...] = ()) -> "WizardState":
        """Record a launch's end (checklist step 4)."""
        return replace(self, run=RunOutcome(mode, exit_code, tuple(command)))

    def with_written(self, displays: "Iterable[str]") -> "WizardState":
        """Record files this session wrote (an identical file found on disk was not written by us)."""
        return replace(self, written=self.written | frozenset(displays))

    def _with(self, **changes: object) -> "WizardState":
        return self._answered(replace(self.answers, **changes))

    _KEEP: Any = object()

    def _answered(self, answers: Answers, *, hf: Any = _KEEP, input_problems: tuple | None = None) -> "WizardState":
        """New answers (the last launch no longer describes them); the context follows them."""
        keep = hf is self._KEEP
        context = Context.of(answers, self.context.hf if keep else hf,
                             self.context.fetch_problem if keep else None, previous=self.context)
        return replace(self, answers=answers, context=context, run=None,
                       input_problems=self.input_problems if input_problems is None else input_problems)

    # ---- what the answers point at (wizard.context) ----------------------------------------------

    hf = _loaded("hf")
    fetch_problem = _loaded("fetch_problem")
    tree = _loaded("tree")
    registry = _loaded("registry")
    mapping = _loaded("mapping")
    name = _loaded("name")
    bases = _loaded("bases")
    base = _loaded("base")
    module_values = _loaded("module_values")
    base_values = _loaded("base_values")

    @property
    def root(self) -> Path | None:
        return self.tree.root if self.tree else None

    @property
    def base_chain(self) -> tuple:
        """The files the base preset's `extends` chain reads (staged next to the planned files)."""
        return self.context.base_preset.chain if self.context.base_preset else ()

    # ---- what they mean (wizard.derive) and produce (wizard.outputs) ------------------------------

    fields = _meaning(derive.fields)
    field_source = _meaning(derive.field_source)
    overrides = _meaning(derive.overrides)
    pinned = _meaning(derive.pinned)
    effective = _meaning(derive.effective)
    expected_architecture = _meaning(derive.expected_architecture)
    param_count = _meaning(derive.param_count)
    base_option = _meaning(derive.base_option)
    known_keys = _meaning(derive.known_keys, answers=False, attribute=True)
    base_candidate = _meaning(derive.base_candidate, answers=False, attribute=True)
    megatron_default = _meaning(derive.megatron_default, answers=False)
    model_rel = _meaning(derive.model_rel, answers=False, attribute=True)
    experiment_file = _meaning(derive.experiment_file, attribute=True)
    experiment_rel = _meaning(derive.experiment_rel, attribute=True)
    exp_name = _meaning(derive.exp_name, attribute=True)
    checkpoint_rel = _meaning(derive.checkpoint_rel, attribute=True)
    model_yaml = _meaning(outputs.model_yaml)
    model_source = _meaning(outputs.model_source)
    experiment_yaml = _meaning(outputs.experiment_yaml)
    plan = _meaning(outputs.plan)
    base_diff = _meaning(outputs.base_diff)
    launch_command = _meaning(outputs.launch_command)
    command_for = _meaning(outputs.command_for)
    complete_answers = _meaning(outputs.complete_answers)
    to_answers_yaml = _meaning(outputs.answers_yaml)
