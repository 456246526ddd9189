"""Checks that need the tree and the HF mapping: Megatron keys, types, cross-field rules.

Every check appends; nothing stops at the first problem, so the user sees the whole list.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from primus_tui.errors import one_line
from primus_tui.megatron.liveness import classify_key
from primus_tui.wizard import derive
from primus_tui.wizard.problems import Problem, did_you_mean
from primus_tui.wizard.rules import OVERRIDE_RULES, PARALLEL_KEYS
from primus_tui.wizard.schema import describe, expected, kind_ok, type_problem

if TYPE_CHECKING:
    from primus_tui.wizard.state import WizardState


def check_state(s: "WizardState") -> list[Problem]:
    out: list[Problem] = list(s.input_problems)
    if s.fetch_problem is not None:
        out.append(s.fetch_problem)
    elif not s.answers.model.ref and not any(p.path.startswith("model") for p in out):
        out.append(Problem("model", "no model chosen: give model.repo (an HF repo id such as "
                                    "TinyLlama/TinyLlama-1.1B-Chat-v1.0) or model.path (a local folder)"))
    ctx = s.context
    tree, mapping = ctx.tree, ctx.mapping
    if ctx.tree_problem is not None:
        out.append(ctx.tree_problem)
    elif ctx.registry_problem is not None:
        out.append(ctx.registry_problem)
    if ctx.mapping_problem is not None:
        out.append(ctx.mapping_problem)
    if mapping is not None:
        for key, reason in mapping.unsupported:
            out.append(Problem("model", f"unsupported HF feature {key}: {reason}"))
        for note in getattr(mapping, "notes", ()):
            out.append(Problem("model", note, "warning"))
    if tree is None:
        return _unique(out)

    _check_base(s, out)
    if ctx.module_error is not None:
        out.append(Problem("experiment.config", f"module preset {s.answers.experiment.config!r} not found"
                           + did_you_mean(s.answers.experiment.config, _names(tree.preset_dir("modules")))))
    if ctx.module_preset is not None and ctx.base_preset is not None:
        for key, value in s.answers.architecture.items():
            _check_key(s, "architecture", key, value, out)
        for key, value in s.answers.experiment.overrides.items():
            _check_key(s, "experiment.overrides", key, value, out)
    _check_training(s, out)
    _check_init(s, out)
    typed = not any(p.severity == "error" and p.path.startswith(("architecture", "experiment.overrides")) for p in out)
    if mapping is not None and ctx.base_preset is not None and typed:
        _check_fields(s, out)
    return _unique(out)


def _names(folder) -> list[str]:
    return sorted(p.name for p in folder.glob("*.yaml")) if folder.is_dir() else []


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            out.append(p)
    return out


def _check_base(s: "WizardState", out: list[Problem]) -> None:
    tree = s.tree
    base = s.base
    if base is None:
        if s.mapping is not None:
            out.append(Problem("base", "no model preset to extend in the target tree; set base"))
        return
    if s.name and base == f"{s.name}.yaml":
        out.append(Problem("base", f"{base!r} is the preset being written; it cannot extend itself"))
        return
    error = s.context.base_error
    if error is not None:
        folder = tree.preset_dir("models", s.answers.experiment.framework)
        if "not found" in str(error):
            out.append(Problem("base", f"preset {base!r} not found in {tree.display(folder)}/"
                               + did_you_mean(base, _names(folder))))
        else:
            out.append(Problem("base", one_line(error)))


def _reference(s: "WizardState", key: str) -> tuple[bool, object]:
    for source in (s.module_values, s.base_values, s.mapping.fields if s.mapping is not None else {}):
        if key in source:
            return True, source[key]
    return False, None


def _check_key(s: "WizardState", section: str, key: str, value: object, out: list[Problem]) -> None:
    path = f"{section}.{key}"
    if key in s.answers.primus_only_keys:
        pass  # named by the user as a key only Primus (a patch) reads: not checked against Megatron
    elif s.registry is not None:
        verdict = classify_key(key, s.registry, model_type=_str(s.effective("model_type")),
                               mla=bool(s.effective("multi_latent_attention")))
        if verdict.dead:
            hint = f" (did you mean {verdict.suggestion!r}?)" if verdict.suggestion else ""
            what = "unknown Megatron key" if verdict.status == "unknown" else f"inert key, {verdict.reason}"
            out.append(Problem(path, what + hint))
            return
    elif key not in s.known_keys:
        out.append(Problem(path, "unknown Megatron key" + did_you_mean(key, s.known_keys)))
        return
    rule = OVERRIDE_RULES.get(key)
    if rule is not None:
        kinds, minimum = rule
        if (p := type_problem(path, value, kinds)) is not None:
            out.append(p)
            return
        if minimum is not None and isinstance(value, (int, float)) and value < minimum:
            out.append(Problem(path, f"must be >= {minimum}, got {value}"))
            return
    elif value is not None and not (isinstance(value, str) and "${" in value):
        found, ref = _reference(s, key)
        kinds = _kinds_like(ref) if found else ()
        if kinds and not any(kind_ok(value, k) for k in kinds):
            out.append(Problem(path, f"expected {expected(kinds)} (like the preset's {ref!r}), got {describe(value)}"))
            return
    _check_validator(key, value, path, out)


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _kinds_like(ref: object) -> tuple[str, ...]:
    if ref is None:
        return ()
    if isinstance(ref, bool):
        return ("bool",)
    if isinstance(ref, int):
        return ("int",)
    if isinstance(ref, float):
        return ("float",)
    if isinstance(ref, str):
        return ("str",)
    if isinstance(ref, list):
        return ("list",)
    if isinstance(ref, dict):
        return ("map",)
    return ()


def _check_validator(key: str, value: object, path: str, out: list[Problem]) -> None:
    from primus_tui.hf import FIELD_VALIDATORS

    check = FIELD_VALIDATORS.get(key)
    if check is None or value is None:
        return
    try:
        ok, message = check(value)
    except Exception as exc:  # noqa: BLE001 - a validator bug must not hide the other problems
        ok, message = False, f"invalid value {value!r} ({type(exc).__name__})"
    if not ok:
        out.append(Problem(path, message or f"invalid value {value!r}"))


def _check_init(s: "WizardState", out: list[Problem]) -> None:
    """`experiment.init.from: hf`: the experiment loads the converted folder, and nothing contradicts it."""
    if s.answers.experiment.init.source != "hf":
        return
    folder = derive.checkpoint_rel(s.answers, s.context)
    load = s.answers.experiment.overrides.get("load")
    if load is not None and folder is not None and str(load) != str(folder):
        out.append(Problem("experiment.overrides.load", f"load {load!r} contradicts experiment.init (from: hf loads "
                                                        f"{folder}); drop the override or set experiment.init.checkpoint"))
    if not all(importlib.util.find_spec(name) for name in ("torch", "megatron")):  # finds, imports nothing
        out.append(Problem("experiment.init.from", "converting the HF weights needs the training extra (torch, "
                                                   "megatron-core): `make train-extra`", "warning"))


def _check_training(s: "WizardState", out: list[Problem]) -> None:
    """Cross-field training checks, skipping values already reported as wrong."""
    ov = s.answers.experiment.overrides
    flagged = {p.path.rsplit(".", 1)[-1] for p in out if p.path.startswith(("experiment.overrides.", "architecture."))}

    def value(key: str) -> object:
        return None if key in flagged else s.effective(key)

    mbs, gbs = value("micro_batch_size"), value("global_batch_size")
    if _int(mbs) and _int(gbs) and mbs > 0 and gbs % mbs:
        where = "experiment.overrides.global_batch_size" if "global_batch_size" in ov else "experiment.overrides.micro_batch_size"
        out.append(Problem(where, f"global_batch_size {gbs} is not a multiple of micro_batch_size {mbs}"))
    warmup, iters = value("lr_warmup_iters"), value("train_iters")
    decay = value("lr_decay_iters")
    what = "lr_decay_iters" if _int(decay) else "train_iters"
    decay = decay if _int(decay) else iters
    if _int(warmup) and _int(decay) and warmup > 0 and warmup >= decay:
        if "lr_warmup_iters" in ov:
            out.append(Problem("experiment.overrides.lr_warmup_iters", f"{warmup} must be < {what} {decay} (Megatron's scheduler)"))
        else:
            out.append(Problem(f"experiment.overrides.{what}", f"{decay} must be > lr_warmup_iters {warmup} (from "
                               f"{s.answers.experiment.config}); set a smaller experiment.overrides.lr_warmup_iters"))
    seq = value("seq_length")
    mpe = value("max_position_embeddings")
    if _int(seq) and _int(mpe) and seq > mpe:
        out.append(Problem("experiment.overrides.seq_length", f"{seq} exceeds max_position_embeddings {mpe}"))


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_fields(s: "WizardState", out: list[Problem]) -> None:
    """The HF import's field and cross-field checks on the config Primus will resolve."""
    from primus_tui.hf import validate_fields
    sizes = {}
    for key in PARALLEL_KEYS:
        value = s.effective(key, 1)
        sizes[key] = value if _int(value) and value > 0 else 1
    resolved = {**s.base_values, **s.fields(), **{k: v for k, v in s.module_values.items()
                                                   if k in s.base_values or k in s.fields()}}
    resolved.update(s.pinned())
    resolved.update(s.overrides())
    divisible = s.effective("make_vocab_size_divisible_by", 128)
    seq = s.effective("seq_length")
    try:
        problems = validate_fields(
            resolved,
            seq_length=seq if _int(seq) else None,
            make_vocab_size_divisible_by=divisible if _int(divisible) and divisible > 0 else 128,
            as_in_hf=[k for k, v in (s.mapping.fields if s.mapping else {}).items() if resolved.get(k) == v],
            **sizes,
        )
    except Exception as exc:  # noqa: BLE001 - report, do not crash the whole check
        out.append(Problem("architecture", f"field checks failed: {type(exc).__name__}: {exc}", "warning"))
        return
    for p in problems:
        if p.field == "seq_length" and p.severity == "error" and any(q.path == "experiment.overrides.seq_length" for q in out):
            continue  # already reported, in the answers' words
        message = p.message[len(p.field) + 2:] if p.message.startswith(f"{p.field}: ") else p.message
        out.append(Problem(_path_for(s, p.field, p.message), message, p.severity))


def _path_for(s: "WizardState", key: str, message: str = "") -> str:
    ov = s.answers.experiment.overrides
    for size in PARALLEL_KEYS:  # "... not divisible by tensor_model_parallel_size 3": fix the size
        if size in message and size in ov:
            return f"experiment.overrides.{size}"
    if key in ov or key == "seq_length" or key.endswith("_parallel_size"):
        return f"experiment.overrides.{key}"
    if key in s.answers.architecture:
        return f"architecture.{key}"
    if s.mapping is not None and key in s.mapping.fields:
        hf_key = s.mapping.hf_source.get(key)
        return f"architecture.{key} (from HF {hf_key})" if hf_key else f"architecture.{key} (from HF)"
    return f"architecture.{key}"
