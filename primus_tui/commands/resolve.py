"""`primus-tui resolve EXP.yaml`: the merged module config, as Primus's parser builds it.

Megatron modules also get a liveness check (primus_tui.megatron): a value outside an argparse
`choices` list is an error (exit 2); a dead key (inert: known but read by nothing for this
model; unknown: read nowhere) is reported on stderr with the file and line that set it.
"""

from __future__ import annotations

import argparse
import json
import sys

from primus_tui.config import ConfigTree, ResolvedModule, resolve_experiment
from primus_tui.config.render import render_json, render_yaml
from primus_tui.errors import UsageError
from primus_tui.megatron.registry import Registry, registry_for_root
from primus_tui.megatron.report import KeyReport, choice_problems, key_reports

ACCEPTS_UNKNOWN = True
MEGATRON = "megatron"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", help="experiment YAML (e.g. examples/megatron/configs/MI300X/...yaml)")
    parser.add_argument("--module", default="pre_trainer", help="module to print (default: pre_trainer)")
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml")
    parser.add_argument("--show-source", action="store_true", help="add each key's file:line (or overrides/CLI/env)")
    parser.add_argument("--shadowed", action="store_true", help="list model-preset keys the module preset overrides")
    parser.add_argument(
        "--liveness",
        action="store_true",
        help="print every key's liveness (network/run/primus/inert/unknown) instead of the config; "
        "with --format json: {registry, liveness, dead_keys}",
    )
    parser.add_argument("--primus-root", metavar="PATH", help="a Primus checkout to take presets from (default: bundled)")
    parser.add_argument("overrides", nargs="*", help="CLI overrides: key=value (or --key value)")


def run(args: argparse.Namespace) -> int:
    tree = ConfigTree.at(args.primus_root)
    overrides = [o for o in [*args.overrides, *getattr(args, "extra", [])] if o != "--"]
    resolved = resolve_experiment(args.experiment, tree, overrides, cli_module=args.module)
    module = resolved.module(args.module)
    registry, reports = _liveness(module, tree, args.primus_root) if module.framework == MEGATRON else (None, {})
    if args.liveness:
        sys.stdout.write(_render_liveness(registry, reports, args.format, module))
        return 0
    sources = module.sources if args.show_source else None
    if args.format == "json":
        text = render_json(module.values, sources)
        sys.stdout.write(_json_with_liveness(text, reports) if sources is not None and reports else text)
    else:
        text = render_yaml(module.values, sources)
        sys.stdout.write(_yaml_with_liveness(text, reports) if sources is not None else text)
    for shadow in module.shadowed:
        if args.shadowed or not shadow.fixed_by_override:
            state = "overridden by you" if shadow.fixed_by_override else "model value ignored"
            print(
                f"primus-tui: shadowed: {shadow.key}: model preset {shadow.model_value!r} ({shadow.model_source}) "
                f"loses to module preset {shadow.module_value!r} ({shadow.module_source}); {state}",
                file=sys.stderr,
            )
    _print_dead(reports)
    return 0


def _liveness(
    module: ResolvedModule, tree: ConfigTree, primus_root: str | None
) -> tuple[Registry, dict[str, KeyReport]]:
    registry = registry_for_root(primus_root)
    if registry.note:
        print(f"primus-tui: note: {registry.note}", file=sys.stderr)
    problems = choice_problems(module.values, module.source_tree, registry)
    if problems:
        raise UsageError("; ".join(problems))
    return registry, key_reports(module.values, module.source_tree, registry, tree.root, tree.configs_dir)


def _print_dead(reports: dict[str, KeyReport]) -> None:
    """The user's dead keys one per line; the presets' own as a count (--liveness lists them)."""
    dead = [r for r in reports.values() if r.liveness.dead]
    for report in dead:
        if not report.from_preset:
            print(f"primus-tui: {report.line()}", file=sys.stderr)
    in_presets = sum(1 for r in dead if r.from_preset)
    if in_presets:
        print(
            f"primus-tui: {in_presets} more dead keys come from Primus's presets (resolve --liveness lists them)",
            file=sys.stderr,
        )


def _yaml_with_liveness(text: str, keys: dict[str, KeyReport]) -> str:
    """--show-source YAML: a dead key's comment also says why it is dead."""
    lines = []
    for line in text.splitlines():
        top = line.split(":", 1)[0].split(".", 1)[0]
        report = keys.get(top)
        if report and report.liveness.dead:
            line += f"  [{report.liveness.status}: {report.liveness.reason}]"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _json_with_liveness(text: str, keys: dict[str, KeyReport]) -> str:
    """--show-source JSON: each entry gains a `liveness` field (its top-level key's verdict)."""
    data = json.loads(text)
    for path, entry in data.items():
        report = keys.get(path.split(".", 1)[0])
        if report:
            live = report.liveness
            entry["liveness"] = {"status": live.status, "reason": live.reason, "suggestion": live.suggestion}
    return json.dumps(data, indent=2, default=str) + "\n"


def _render_liveness(registry: Registry | None, keys: dict[str, KeyReport], fmt: str, module: ResolvedModule) -> str:
    if fmt == "json":
        data = {
            "module": module.name,
            "registry": {
                "megatron_lm_commit": registry.megatron_lm_commit if registry else None,
                "primus_commit": registry.primus_commit if registry else None,
            },
            "liveness": {k: r.to_dict() for k, r in keys.items()},
            "dead_keys": [r.to_dict() for r in keys.values() if r.liveness.dead],
        }
        return json.dumps(data, indent=2, default=str) + "\n"
    width = max((len(k) for k in keys), default=0)
    rows = [
        f"{k.ljust(width)}  {r.liveness.status:<7}  {r.source or 'Primus'}  {r.liveness.reason}" for k, r in keys.items()
    ]
    return "\n".join(rows) + ("\n" if rows else "")
