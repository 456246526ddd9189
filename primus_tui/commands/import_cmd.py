"""`primus-tui import REPO_OR_PATH`: HF config.json -> Primus model YAML (print or write).

stdout carries the YAML (or JSON with --json, or the written path); stderr the base choice,
parameter counts, validation warnings and shadowed keys. Exit 2 on a bad reference or an
unsupported model, 4 when --write would overwrite a different file without --force.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys

from primus_tui.hf.errors import HFError
from primus_tui.wizard import schema
from primus_tui.wizard.schema import MAX_NAME


class OverwriteRefused(HFError):
    """--write found a different file at the target path (exit 4)."""

    exit_code = 4


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # used with fullmatch: `$` would allow a trailing newline


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="REPO_OR_PATH", help="Hugging Face repo id, model folder or config.json")
    parser.add_argument("--revision", help="branch, tag or commit of the HF repo (default: main)")
    parser.add_argument("--base", help="model preset to extend (default: closest same-family preset, else language_model.yaml)")
    parser.add_argument("--name", help="model config name, e.g. tinyllama_1.1B (default: from the repo name)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--print", dest="mode", action="store_const", const="print", help="print the YAML (default)")
    mode.add_argument("--write", dest="mode", action="store_const", const="write",
                      help="write <primus-root>/primus/configs/models/megatron/<name>.yaml")
    parser.add_argument("--force", action="store_true", help="with --write: replace a different existing file")
    parser.add_argument("--primus-root", metavar="PATH", help="a Primus checkout (default: bundled tree)")
    parser.add_argument("--json", action="store_true", help="print a JSON report (mapping, counts, bases, YAML) instead")
    parser.add_argument("--accept-divergence", action="append", default=[], metavar="KEY",
                        help="accept that Megatron builds this HF feature differently (repeatable; the file and "
                             "the report say what it builds instead), e.g. rope_scaling_factor")
    parser.add_argument("--mcore-count", action="store_true",
                        help="also build the megatron-core model on the meta device (subprocess, imports torch)")


def default_name(cfg) -> str:
    """The wizard's rule (`wizard.schema.default_name`): one name for one model, whichever way in."""
    return schema.default_name(cfg.repo_id or str(cfg.path))


def check_name(name: str) -> str:
    name = name.removesuffix(".yaml").removesuffix(".yml")
    if not _NAME.fullmatch(name):
        raise HFError(f"--name {name!r}: use letters, digits, '.', '_' and '-' only (no folders)")
    if len(name) > MAX_NAME:
        raise HFError(f"--name is {len(name)} characters long; at most {MAX_NAME} (file names stop at 255 bytes)")
    return name


def run(args: argparse.Namespace) -> int:
    from primus_tui.config import ConfigTree
    from primus_tui.hf import (default_base, fetch_config, map_config, model_shadow_warnings, param_count_from_fields,
                               param_count_from_hf, rank_bases, render_model_yaml, validate_fields)
    from primus_tui.hf.implied import dead_keys
    from primus_tui.hf.writer import write_model_yaml

    tree = ConfigTree.at(args.primus_root)
    cfg = fetch_config(args.model, args.revision)
    mapping = map_config(cfg, accept=args.accept_divergence)
    if mapping.unsupported:
        raise HFError(f"{cfg.label}: cannot be expressed in Megatron fields: {mapping.unsupported_summary()}")
    name = check_name(args.name) if args.name else default_name(cfg)
    own_file = f"{name}.yaml"
    if args.base and args.base.removesuffix(".yaml") == name:
        raise HFError(f"--base {args.base}: a model config cannot extend itself")
    # the file being (re)generated is never its own base, so re-runs pick the same base
    candidates = [c for c in rank_bases(mapping, tree, quick=not args.json) if c.name != own_file]
    base = args.base or default_base(candidates)
    text = render_model_yaml(mapping, base, tree, name=name, hf=cfg)
    base_data = tree.load_preset(base, "models", "megatron").data

    diag: list[str] = [f"accepted divergence: {div.summary()}" for div in mapping.accepted]
    diag += [f"dead key: {base}'s chain sets {d.key}: {d.value!r}, which Megatron never reads (the dest is {d.live}); "
             f"the file sets {d.live}" for d in dead_keys(mapping, base_data)]
    hf_count, mc_count = param_count_from_hf(cfg.data), param_count_from_fields(mapping.fields)
    agree = "=" if hf_count.total == mc_count.total else "!="
    diag.append(f"parameters: {hf_count.total:,} (HF config) {agree} {mc_count.total:,} (Megatron fields)")
    if mc_count.vocab_padding:
        diag.append(f"vocab padding: +{mc_count.vocab_padding:,} parameters (make_vocab_size_divisible_by 128, TP 1)")
    mcore_total = None
    if args.mcore_count:
        from primus_tui.hf import megatron_param_count

        mcore_total = megatron_param_count(mapping.fields)
        same = mcore_total == mc_count.total + mc_count.vocab_padding
        diag.append(f"megatron-core model: {mcore_total:,} parameters incl. padding ({'agrees' if same else 'DISAGREES'})")
    for problem in validate_fields(mapping.fields, as_in_hf=mapping.fields.keys()):
        diag.append(f"{problem.severity}: {problem.message}")
    diag.extend(f"note: {note}" for note in mapping.notes)
    import yaml

    shadows = model_shadow_warnings(yaml.safe_load(text), tree)
    diag.extend(f"shadowed: {line}" for line in shadows)
    chosen = next((c for c in candidates if c.name == base), None)
    base_line = f"base: {base}" + (f" ({chosen.reason})" if chosen else "")

    if args.json:
        report = {
            "repo_id": cfg.repo_id, "revision": cfg.revision, "commit_sha": cfg.commit_sha, "path": str(cfg.path),
            "model_type": mapping.model_type, "name": name, "base": base,
            "fields": mapping.fields, "hf_source": mapping.hf_source, "ignored": mapping.ignored,
            "unsupported": mapping.unsupported, "notes": mapping.notes,
            "accepted_divergences": [dataclasses.asdict(d) for d in mapping.accepted],
            "params": {"hf": hf_count.total, "megatron": mc_count.total, "vocab_padding": mc_count.vocab_padding,
                       "megatron_core": mcore_total, "breakdown": mc_count.breakdown},
            "bases": [{"name": c.name, "option": c.option, "family_match": c.family_match, "reason": c.reason,
                       "overrides": sorted(c.overrides)} for i, c in enumerate(candidates) if i < 10 or c.option],
            "warnings": diag, "yaml": text,
        }
        if args.mode == "write":
            done = write_model_yaml(tree, name, text, force=args.force, refuse=OverwriteRefused)
            report["written"] = str(done.path)
            report["backup"] = str(done.backup) if done.backup else None
        sys.stdout.write(json.dumps(report, indent=2, default=str) + "\n")
        return 0

    if args.mode == "write":  # write (or refuse) before any diagnostics, so a refusal is one line
        done = write_model_yaml(tree, name, text, force=args.force, refuse=OverwriteRefused)
        path = done.path
        diag.extend(done.notes)
        if done.backup is not None:
            diag.append(f"kept the old {path.name} as {done.backup}")
    for line in [base_line, *diag]:
        print(f"primus-tui: {line}", file=sys.stderr)
    if args.mode == "write":
        print(path)
    else:
        sys.stdout.write(text)
    return 0
