"""What the answers mean, as functions of (answers, context): the architecture asked for, where each
value comes from, the experiment's overrides and pins, what Primus will resolve a key to, the
parameter count and the planned paths. No I/O beyond what the context loads when first asked.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from primus_tui.wizard.context import Context
from primus_tui.wizard.schema import (
    CHECKPOINT_DIR,
    DEFAULT_SEQ_LENGTH,
    EXPERIMENT_DIR,
    MODEL_DIR,
    Answers,
    ModelAnswer,
)


def answers_for_model(old: Answers, model: ModelAnswer) -> Answers:
    """Another model starts over what was chosen for the previous one (its name, file, base and
    architecture edits): the plan must never target the old model's files. Answers given before
    any model was chosen are kept (they were typed for this one)."""
    if old.model.ref is None or old.model.ref == model.ref:
        return replace(old, model=model)
    return replace(old, model=model, name=None, base=None, architecture={}, accept_divergences=(),
                   experiment=replace(old.experiment, file=None, exp_name=None))


def fields(a: Answers, ctx: Context) -> dict:
    """The architecture the answers ask for: HF-mapped fields, then `architecture` answers."""
    base = dict(ctx.mapping.fields) if ctx.mapping is not None else {}
    return {**base, **a.architecture}


def field_source(a: Answers, ctx: Context, key: str) -> str:
    """Where a field's value comes from: `answers`, `HF <key>`, or the base preset."""
    if key in a.architecture:
        return "answers (architecture)"
    if ctx.mapping is not None and key in ctx.mapping.fields:
        hf_key = ctx.mapping.hf_source.get(key)
        return f"HF {hf_key}" if hf_key else "HF mapping"
    return f"base {ctx.base}" if key in ctx.base_values else "Megatron default"


def is_hf_value(ctx: Context, key: str, value: object) -> bool:
    """Whether `value` is what the HF mapping gives `key` (same type too: 1 is not 1.0)."""
    hf = ctx.mapping.fields if ctx.mapping is not None else {}
    return key in hf and hf[key] == value and type(hf[key]) is type(value)


def checkpoint_rel(a: Answers, ctx: Context) -> Path | None:
    """The converted HF weights' folder, relative to the Primus root (None: random init)."""
    init = a.experiment.init
    if init.source != "hf":
        return None
    if init.checkpoint:
        return Path(init.checkpoint)
    return CHECKPOINT_DIR / ctx.name if ctx.name else None


def init_overrides(a: Answers, ctx: Context) -> dict:
    """Megatron's keys for starting from the converted weights: load them, at iteration 0, with a
    fresh optimizer and RNG (the checkpoint holds weights only)."""
    folder = checkpoint_rel(a, ctx)
    if folder is None:
        return {}
    return {"load": str(folder), "finetune": True, "no_load_optim": True, "no_load_rng": True}


def overrides(a: Answers, ctx: Context) -> dict:
    """The experiment's training overrides: the initial weights' keys, the answers' (defaults
    included; they win, and a contradicting `load` is a problem), plus seq_length."""
    ov = {**init_overrides(a, ctx), **a.experiment.overrides}
    if "seq_length" not in ov:
        mpe = fields(a, ctx).get("max_position_embeddings", ctx.base_values.get("max_position_embeddings"))
        ov["seq_length"] = min(DEFAULT_SEQ_LENGTH, mpe) if isinstance(mpe, int) and mpe > 0 else DEFAULT_SEQ_LENGTH
    return ov


def pinned(a: Answers, ctx: Context) -> dict:
    """Model keys the module preset would beat (Primus precedence), repeated in `overrides`."""
    module, ov = ctx.module_values, overrides(a, ctx)
    return {k: v for k, v in fields(a, ctx).items() if k in module and module[k] != v and k not in ov}


def effective(a: Answers, ctx: Context, key: str, default: object = None) -> object:
    """What Primus will resolve `key` to: overrides > module preset > model fields > base."""
    for source in (overrides(a, ctx), pinned(a, ctx), ctx.module_values, fields(a, ctx), ctx.base_values):
        if key in source:
            return source[key]
    return default


def expected_architecture(a: Answers, ctx: Context) -> dict:
    """Model keys and the values the answers ask for (an experiment override wins)."""
    ov = overrides(a, ctx)
    return {k: ov.get(k, v) for k, v in fields(a, ctx).items()}


def known_keys(ctx: Context) -> frozenset[str]:
    """Every Megatron key this tree knows (module preset, base preset, HF mapping)."""
    keys = set(ctx.module_values) | set(ctx.base_values)
    if ctx.mapping is not None:
        keys |= set(ctx.mapping.fields)
    return frozenset(keys)


def param_count(a: Answers, ctx: Context):
    """`primus_tui.hf.ParamCount` of the asked architecture (None if it cannot be counted)."""
    if ctx.mapping is None:
        return None
    from primus_tui.hf import param_count_from_fields

    merged = {**ctx.base_values, **expected_architecture(a, ctx)}
    try:
        return param_count_from_fields(
            merged,
            make_vocab_size_divisible_by=int(effective(a, ctx, "make_vocab_size_divisible_by") or 128),
            tensor_model_parallel_size=int(effective(a, ctx, "tensor_model_parallel_size") or 1),
        )
    except Exception:  # noqa: BLE001 - a count is information, never a reason to fail
        return None


def base_candidate(ctx: Context):
    """The `BaseCandidate` of the chosen base, when the ranking has it."""
    return next((b for b in ctx.bases if b.name == ctx.base), None) if ctx.mapping is not None else None


def base_option(a: Answers, ctx: Context) -> str | None:
    """The seed's option: "A" (language_model.yaml) or the ranking's label; never forces a ranking."""
    if ctx.ranked or not a.base:
        cand = base_candidate(ctx)
        if cand is not None and getattr(cand, "option", None):
            return cand.option
    return "A" if ctx.base == "language_model.yaml" else None


def megatron_default(ctx: Context, key: str) -> object:
    """What Megatron uses for a key the merged config leaves out: its argparse default."""
    spec = ctx.registry.args.get(key) if ctx.registry is not None else None
    default = spec.default if spec is not None else None
    return None if isinstance(default, dict) else default


# ---- planned paths -------------------------------------------------------------------------------

def model_rel(ctx: Context) -> Path | None:
    return MODEL_DIR / f"{ctx.name}.yaml" if ctx.name else None


def experiment_file(a: Answers, ctx: Context) -> str | None:
    if a.experiment.file:
        return a.experiment.file
    return f"{ctx.name}-pretrain.yaml" if ctx.name else None


def experiment_rel(a: Answers, ctx: Context) -> Path | None:
    file = experiment_file(a, ctx)
    return EXPERIMENT_DIR / file if file else None


def exp_name(a: Answers, ctx: Context) -> str:
    return a.experiment.exp_name or f"${{PRIMUS_EXP_NAME:{ctx.name}-pretrain}}"
