"""What the answers produce, as functions of (answers, context): the model and experiment YAML,
the file plan against the disk, the diff to the base, the `primus-cli` command and the complete
answers file for replay."""

from __future__ import annotations

from dataclasses import replace

from primus_tui.wizard import derive
from primus_tui.wizard.answersfile import render_answers
from primus_tui.wizard.context import Context
from primus_tui.wizard.errors import WizardError
from primus_tui.wizard.experiment import ExperimentText, render_experiment
from primus_tui.wizard.plan import Plan, plan_file
from primus_tui.wizard.schema import Answers


def require_inputs(ctx: Context) -> None:
    """The outputs need a mapped model, a tree and a base (checks.check_state says why not)."""
    missing = [what for what, value in (("a fetched and mapped model", ctx.mapping), ("a Primus tree", ctx.tree),
                                        ("a base preset", ctx.base), ("a name", ctx.name)) if value is None]
    if missing:
        raise WizardError("not ready: needs " + ", ".join(missing))


def model_yaml(a: Answers, ctx: Context) -> str:
    """The generated model preset (HF import's renderer, with the `architecture` answers)."""
    require_inputs(ctx)
    from primus_tui.hf import render_model_yaml

    return render_model_yaml(ctx.mapping, ctx.base, ctx.tree, name=ctx.name, hf=ctx.hf,
                             extra=dict(a.architecture) or None)


def model_source(a: Answers, ctx: Context) -> str:
    if a.model.repo:
        sha = getattr(ctx.hf, "commit_sha", None) or a.model.revision
        return f"{a.model.repo} @ {sha}" if sha else a.model.repo
    return str(a.model.path)


def experiment_yaml(a: Answers, ctx: Context) -> str:
    """The experiment in the seed's layout, pointing at `<name>.yaml`."""
    require_inputs(ctx)
    return render_experiment(
        a.experiment,
        model_name=ctx.name,
        exp_name=derive.exp_name(a, ctx),
        overrides=derive.overrides(a, ctx),
        pinned=derive.pinned(a, ctx),
        module_config=a.experiment.config,
        text=ExperimentText(ctx.name, model_source(a, ctx), str(derive.model_rel(ctx)),
                            str(derive.experiment_rel(a, ctx))),
    )


def plan(a: Answers, ctx: Context) -> Plan:
    """Each file: create / modify (with diff) / unchanged, against what is on disk now."""
    model, experiment = model_yaml(a, ctx), experiment_yaml(a, ctx)
    root = ctx.tree.root
    return Plan(root, (plan_file("model", root, derive.model_rel(ctx), model),
                       plan_file("experiment", root, derive.experiment_rel(a, ctx), experiment)))


def base_diff(a: Answers, ctx: Context) -> list:
    """How the new model preset differs from its base, key by key (`extends` applied)."""
    import yaml

    from primus_tui.config import deep_merge, diff_configs

    own = yaml.safe_load(model_yaml(a, ctx)) or {}
    own.pop("extends", None)
    merged, _ = deep_merge(ctx.base_values, {}, own, {})
    return diff_configs(ctx.base_values, merged)


def launch_command(a: Answers, ctx: Context) -> list[str] | None:
    """The `primus-cli direct` argv for `launch.mode` (dry-run adds --dry-run); None for none."""
    if a.launch.mode == "none" or ctx.tree is None or derive.experiment_rel(a, ctx) is None:
        return None
    return command_for(a, ctx, a.launch.mode)


def command_for(a: Answers, ctx: Context, mode: str) -> list[str]:
    from primus_tui.launch import build_command

    launch = a.launch
    return build_command(ctx.tree.root, derive.experiment_rel(a, ctx), mode="direct", dry_run=mode == "dry-run",
                         single=launch.single, env=dict(launch.env) or None, log_file=launch.log_file,
                         overrides=list(launch.overrides) or None)


def complete_answers(a: Answers, ctx: Context) -> Answers:
    """The answers with every default and HF value filled in (the commit pinned)."""
    model = a.model
    if model.repo and ctx.hf is not None:
        model = replace(model, revision=model.revision or getattr(ctx.hf, "revision", None) or "main",
                        commit=getattr(ctx.hf, "commit_sha", None) or model.commit)
    experiment = replace(a.experiment, file=derive.experiment_file(a, ctx), exp_name=derive.exp_name(a, ctx),
                         overrides=derive.overrides(a, ctx))
    return replace(a, model=model, base=ctx.base, name=ctx.name, experiment=experiment)


def answers_yaml(a: Answers, ctx: Context) -> str:
    """A complete answers file: replaying it writes the same bytes."""
    return render_answers(complete_answers(a, ctx))
