"""`primus-tui plan EXP.yaml --nodes N --gpus-per-node G --gpu mi300x`: layouts that fit, fastest first.

The experiment is resolved as `resolve` does, translated through trainer.arch (Megatron's
defaults and validate_args derivations), then primus_tui.plan enumerates and ranks layouts.
"""

from __future__ import annotations

import argparse
import sys

from primus_tui.config import ConfigTree, resolve_experiment
from primus_tui.megatron.registry import registry_for_root
from primus_tui.plan import Cluster, gpu_kind, plan_from_values
from primus_tui.plan.render import render_json, render_text
from primus_tui.trainer.arch import _validate_args, megatron_args
from primus_tui.trainer.errors import UnsupportedConfig
from primus_tui.errors import UsageError

ACCEPTS_UNKNOWN = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("experiment", help="experiment YAML")
    parser.add_argument("--nodes", type=int, default=1)
    parser.add_argument("--gpus-per-node", type=int, default=8)
    parser.add_argument("--gpu", default="mi300x", help="mi300x, mi325x, mi355x, h100, h200 or cpu (this machine)")
    parser.add_argument("--seq-length", type=int, help="default: the experiment's seq_length")
    parser.add_argument("--global-batch-size", type=int, help="default: the experiment's global_batch_size")
    parser.add_argument("--vocab-size", type=int, help="when the experiment leaves it to the tokenizer")
    parser.add_argument("--precision", choices=("bf16", "fp8", "both"), help="default: the experiment's")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--module", default="pre_trainer")
    parser.add_argument("--primus-root", metavar="PATH", help="a Primus checkout to take presets from (default: bundled)")
    parser.add_argument("overrides", nargs="*", help="CLI overrides: key=value (or --key value)")


def run(args: argparse.Namespace) -> int:
    cluster = Cluster(args.nodes, args.gpus_per_node, gpu_kind(args.gpu))
    if args.top < 1:
        raise UsageError(f"--top: expected an integer >= 1, got {args.top}")
    tree = ConfigTree.at(args.primus_root)
    overrides = [o for o in [*args.overrides, *getattr(args, "extra", [])] if o != "--"]
    module = resolve_experiment(args.experiment, tree, overrides, cli_module=args.module).module(args.module)
    values = megatron_args(module.values, registry_for_root(args.primus_root))
    try:
        _validate_args(values)
    except UnsupportedConfig as exc:
        raise UsageError(f"{args.experiment}: {exc}") from None
    precisions = {"both": ("bf16", "fp8"), "bf16": ("bf16",), "fp8": ("fp8",)}.get(args.precision or "")
    result = plan_from_values(values, cluster, args.seq_length, args.global_batch_size, args.vocab_size, precisions)
    sys.stdout.write(render_json(result, args.top) if args.json else render_text(result, args.top))
    return 0 if any(p.fits for p in result.plans) else 1
