"""What the answers point at, loaded: the target tree, its Megatron registry, the fetched HF config
and its mapping, the ranked bases and the presets the answers name.

This is the wizard's only I/O (besides writing files and launching): `fetch_model` reads the Hub or
a local folder, and a `Context`'s pieces read the tree when first asked for. A `Context` never
changes; the next state's context (`Context.of(..., previous=)`) reuses every piece whose inputs
are the same, so a keystroke in a field reloads nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from primus_tui.config import ConfigError, ConfigTree
from primus_tui.errors import one_line
from primus_tui.wizard import schema
from primus_tui.wizard.errors import WizardError
from primus_tui.wizard.naming import free_name
from primus_tui.wizard.problems import Problem
from primus_tui.wizard.schema import Answers, ModelAnswer


def _inputs(answers: Answers) -> dict[str, object]:
    """The answers a context's pieces are loaded from."""
    return {"root": answers.target.primus_root, "framework": answers.experiment.framework,
            "accept": answers.accept_divergences, "name": answers.name, "ref": answers.model.ref,
            "base": answers.base, "module": answers.experiment.config}


# cached piece -> the inputs it is loaded from ("hf" is the fetched config, compared by identity)
_DEPENDS: dict[str, tuple[str, ...]] = {
    "_tree": ("root", "framework"),
    "_registry": ("root", "framework"),
    "_mapping": ("hf", "accept", "ref"),
    "name": ("root", "framework", "name", "ref"),
    "bases": ("root", "framework", "name", "ref", "hf", "accept"),
    "_module_preset": ("root", "framework", "module"),
    "_base_preset": ("root", "framework", "name", "ref", "hf", "accept", "base"),
}


def model_answer(ref: str, revision: str | None = None) -> ModelAnswer:
    """An HF repo id (optionally at a revision), or a local folder / config.json when `ref` names one."""
    local = Path(ref).expanduser().exists() or ref.startswith((".", "/", "~"))
    return ModelAnswer(path=str(Path(ref).expanduser().resolve())) if local else ModelAnswer(repo=ref, revision=revision)


def fetch_model(model: ModelAnswer, fetch: Callable | None = None) -> tuple[Any, Problem | None]:
    """(HFConfig, None) for the answers' model (at `commit` when pinned, keeping the revision's
    name), or (None, the problem) when it cannot be had."""
    from primus_tui.hf import HFError, fetch_config

    where = "model.repo" if model.repo else "model.path"
    try:
        cfg = (fetch or fetch_config)(model.ref, model.commit or model.revision)
    except (HFError, ConfigError, WizardError) as exc:
        return None, Problem("model.commit" if model.commit else where, one_line(exc), source="hf")
    if model.commit:
        if getattr(cfg, "commit_sha", model.commit) != model.commit:
            return None, Problem("model.commit", f"fetched commit {cfg.commit_sha}, not the pinned {model.commit}",
                                 source="hf")
        cfg = dataclasses.replace(cfg, revision=model.revision or "main")
    return cfg, None


@dataclass(frozen=True, eq=False)
class Context:
    """The loaded view of one set of answers. Pieces that may fail come with their problem."""

    answers: Answers
    hf: Any = None  # primus_tui.hf.HFConfig once fetched
    fetch_problem: Problem | None = None

    @classmethod
    def of(cls, answers: Answers, hf: Any = None, fetch_problem: Problem | None = None,
           previous: "Context | None" = None) -> "Context":
        ctx = cls(answers, hf, fetch_problem)
        if previous is not None:
            ctx._reuse(previous)
        return ctx

    def _reuse(self, previous: "Context") -> None:
        mine, theirs = _inputs(self.answers), _inputs(previous.answers)
        for piece, depends in _DEPENDS.items():
            if piece in previous.__dict__ and all(
                    self.hf is previous.hf if key == "hf" else mine[key] == theirs[key] for key in depends):
                self.__dict__[piece] = previous.__dict__[piece]

    # ---- the target tree -------------------------------------------------------------------------

    @cached_property
    def _tree(self) -> tuple[ConfigTree | None, Problem | None]:
        where = "target.primus_root"
        try:
            tree = ConfigTree.at(self.answers.target.primus_root)
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
        """The target tree, or None when it is not a Primus layout (`tree_problem` says why)."""
        return self._tree[0]

    @property
    def tree_problem(self) -> Problem | None:
        return self._tree[1]

    @cached_property
    def _registry(self) -> tuple[Any, Problem | None]:
        from primus_tui.megatron.errors import RegistryError
        from primus_tui.megatron.registry import registry_for_root

        try:
            return registry_for_root(self.tree.root if self.tree else None), None
        except RegistryError as exc:
            return None, Problem("target.primus_root", one_line(exc), source="tree")

    @property
    def registry(self):
        """The Megatron argument registry of the tree's pinned Megatron-LM (None: `registry_problem`)."""
        return self._registry[0]

    @property
    def registry_problem(self) -> Problem | None:
        return self._registry[1]

    # ---- the model ---------------------------------------------------------------------------------

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

    @property
    def mapping(self):
        """`primus_tui.hf.ModelMapping` of the fetched config (None before a model is fetched)."""
        return self._mapping[0]

    @property
    def mapping_problem(self) -> Problem | None:
        return self._mapping[1]

    @cached_property
    def name(self) -> str | None:
        """The new preset's name: the answer, or one derived from the model reference that no preset
        of the tree has yet."""
        if self.answers.name:
            return self.answers.name
        ref = self.answers.model.ref
        return free_name(schema.default_name(ref), self.tree, self.answers.experiment.framework) if ref else None

    # ---- bases and presets -------------------------------------------------------------------------

    @cached_property
    def bases(self) -> list:
        """`rank_bases` for the model over the tree, without the preset being written."""
        if self.mapping is None or self.tree is None:
            return []
        from primus_tui.hf import rank_bases

        own = f"{self.name}.yaml"
        return [b for b in rank_bases(self.mapping, self.tree) if b.name != own]

    @property
    def ranked(self) -> bool:
        """Whether the bases were ranked already (asking for a label must not force a ranking)."""
        return "bases" in self.__dict__

    @property
    def base(self) -> str | None:
        """The chosen base preset, or the best-ranked one when none was chosen."""
        if self.answers.base:
            return self.answers.base
        return self.bases[0].name if self.bases else None

    def _load(self, name: str | None, kind: str) -> tuple[Any, ConfigError | None]:
        if self.tree is None or not name:
            return None, None
        try:
            return self.tree.load_preset(name, kind, self.answers.experiment.framework), None
        except ConfigError as exc:
            return None, exc

    @cached_property
    def _module_preset(self) -> tuple[Any, ConfigError | None]:
        return self._load(self.answers.experiment.config, "modules")

    @cached_property
    def _base_preset(self) -> tuple[Any, ConfigError | None]:
        return self._load(self.base, "models")

    @property
    def module_preset(self):
        """The loaded module preset (`pre_trainer.yaml`), None when it cannot be (`module_error`)."""
        return self._module_preset[0]

    @property
    def module_error(self) -> ConfigError | None:
        return self._module_preset[1]

    @property
    def base_preset(self):
        """The loaded base preset with its `extends` chain, None when it cannot be (`base_error`)."""
        return self._base_preset[0]

    @property
    def base_error(self) -> ConfigError | None:
        return self._base_preset[1]

    @property
    def module_values(self) -> dict:
        """The module preset's merged values: these beat model keys."""
        return self.module_preset.data if self.module_preset else {}

    @property
    def base_values(self) -> dict:
        return self.base_preset.data if self.base_preset else {}
