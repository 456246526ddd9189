"""Render the experiment YAML in the seed's layout (examples/megatron/configs/MI300X/<name>-pretrain.yaml)."""

from __future__ import annotations

from dataclasses import dataclass

from primus_tui.config.render import scalar_yaml
from primus_tui.config.yamlsafe import comment, prove
from primus_tui.wizard.schema import ExperimentAnswer

# Known override keys, grouped as the seed (and Primus's examples) lay them out.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("checkpoints and logging", ("save", "save_interval", "load", "disable_last_saving", "stderr_sink_level",
                                 "log_interval", "wandb_project", "disable_wandb", "disable_tensorboard")),
    ("data and schedule", ("mock_data", "data_path", "train_data_path", "valid_data_path", "test_data_path",
                           "train_iters", "micro_batch_size", "global_batch_size")),
    ("sequence length", ("seq_length",)),
    ("optimizer", ("lr", "min_lr", "lr_warmup_iters", "lr_decay_iters", "lr_decay_style", "weight_decay",
                   "adam_beta1", "adam_beta2", "clip_grad")),
    ("parallelism", ("tensor_model_parallel_size", "pipeline_model_parallel_size", "expert_model_parallel_size",
                     "context_parallel_size", "sequence_parallel")),
)
GROUPED = {key for _, keys in GROUPS for key in keys}


@dataclass(frozen=True)
class ExperimentText:
    """What the experiment file says about where it came from (header comments)."""

    name: str
    model_source: str  # "TinyLlama/TinyLlama-1.1B-Chat-v1.0 @ <sha>" or a local path
    model_file: str  # primus/configs/models/megatron/<name>.yaml
    experiment_file: str  # examples/megatron/configs/MI300X/<file>


def group_overrides(overrides: dict) -> list[tuple[str, dict]]:
    """(comment, keys) groups in a fixed order; unknown keys keep the user's order under "other"."""
    out: list[tuple[str, dict]] = []
    for title, keys in GROUPS:
        chunk = {k: overrides[k] for k in keys if k in overrides}
        if chunk:
            out.append((title, chunk))
    rest = {k: v for k, v in overrides.items() if k not in GROUPED}
    if rest:
        out.append(("other Megatron settings", rest))
    return out


def render_experiment(
    exp: ExperimentAnswer,
    *,
    model_name: str,
    exp_name: str,
    overrides: dict,
    pinned: dict,
    module_config: str,
    text: ExperimentText,
) -> str:
    """The experiment YAML; `pinned` are model keys repeated here because the module preset beats them."""
    lines = [
        comment(f"# Primus experiment for {model_name}, written by primus-tui."),
        comment(f"# Model: {text.model_source} -> {text.model_file}"),
        comment(f"# Run:   ./primus-cli direct -- train pretrain --config {text.experiment_file}"),
        f"work_group: {scalar_yaml(exp.work_group)}",
        f"user_name: {scalar_yaml(exp.user_name)}",
        f"exp_name: {scalar_yaml(exp_name)}",
        f"workspace: {scalar_yaml(exp.workspace)}",
        "",
        "modules:",
        f"  {scalar_yaml(exp.module)}:",
        f"    framework: {scalar_yaml(exp.framework)}",
        f"    config: {scalar_yaml(exp.config)}",
        "",
        "    # model to run",
        f"    model: {scalar_yaml(model_name + '.yaml')}",
    ]
    groups = group_overrides(overrides)
    if pinned:
        groups.append((f"model keys that {module_config} would otherwise override", pinned))
    if not groups:
        lines.append("    overrides: {}")
        return _proved(lines, exp, model_name, exp_name, {}, text)
    lines.append("    overrides:")
    for i, (title, chunk) in enumerate(groups):
        if i:
            lines.append("")
        lines.append(f"      # {comment(title)}")
        for key, value in chunk.items():
            lines.append(f"      {scalar_yaml(key)}: {scalar_yaml(value)}")
    return _proved(lines, exp, model_name, exp_name, {k: v for _, c in groups for k, v in c.items()}, text)


def _proved(lines: list[str], exp: ExperimentAnswer, model_name: str, exp_name: str, overrides: dict,
            text: ExperimentText) -> str:
    """Render, then prove: the text must parse back as exactly the intended experiment."""
    out = "\n".join(lines) + "\n"
    module = {"framework": exp.framework, "config": exp.config, "model": model_name + ".yaml", "overrides": overrides}
    prove(out, {"work_group": exp.work_group, "user_name": exp.user_name, "exp_name": exp_name,
                "workspace": exp.workspace, "modules": {exp.module: module}}, text.experiment_file)
    return out
