"""`primus-tui resolve EXP.yaml`: the merged module config, as Primus's parser builds it."""

from __future__ import annotations

import argparse
import sys

from primus_tui.config import ConfigTree, resolve_experiment
from primus_tui.config.render import render_json, render_yaml

ACCEPTS_UNKNOWN = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", help="experiment YAML (e.g. examples/megatron/configs/MI300X/...yaml)")
    parser.add_argument("--module", default="pre_trainer", help="module to print (default: pre_trainer)")
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml")
    parser.add_argument("--show-source", action="store_true", help="add each key's file:line (or overrides/CLI/env)")
    parser.add_argument("--shadowed", action="store_true", help="list model-preset keys the module preset overrides")
    parser.add_argument("--primus-root", metavar="PATH", help="a Primus checkout to take presets from (default: bundled)")
    parser.add_argument("overrides", nargs="*", help="CLI overrides: key=value (or --key value)")


def run(args: argparse.Namespace) -> int:
    tree = ConfigTree.at(args.primus_root)
    overrides = [o for o in [*args.overrides, *getattr(args, "extra", [])] if o != "--"]
    resolved = resolve_experiment(args.experiment, tree, overrides, cli_module=args.module)
    module = resolved.module(args.module)
    sources = module.sources if args.show_source else None
    render = render_json if args.format == "json" else render_yaml
    sys.stdout.write(render(module.values, sources))
    for shadow in module.shadowed:
        if args.shadowed or not shadow.fixed_by_override:
            state = "overridden by you" if shadow.fixed_by_override else "model value ignored"
            print(
                f"primus-tui: shadowed: {shadow.key}: model preset {shadow.model_value!r} ({shadow.model_source}) "
                f"loses to module preset {shadow.module_value!r} ({shadow.module_source}); {state}",
                file=sys.stderr,
            )
    return 0
