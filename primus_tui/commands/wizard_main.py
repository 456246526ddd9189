"""`primus-tui` with no subcommand: the interactive wizard, or headless with `--answers F`."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--answers", metavar="FILE", type=Path,
                        help="answers file (YAML): run headless unless --interactive")
    parser.add_argument("--interactive", action="store_true", help="open the wizard (prefilled from --answers)")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="set an answer, winning over the file (e.g. experiment.overrides.train_iters=100); repeatable")
    parser.add_argument("--pretend", action="store_true", help="show the file plan and checks; write nothing")
    parser.add_argument("--force", action="store_true",
                        help="replace existing files that differ (old ones kept under <root>/.primus-tui/backups/); "
                             "needed too when the answers say overwrite: force")
    parser.add_argument("--json", action="store_true", help="print a machine-readable report on stdout")
    parser.add_argument("--save-answers", metavar="FILE", type=Path,
                        help="write the complete answers (defaults and HF values filled in) for replay")
    parser.add_argument("--primus-root", metavar="PATH", help="a Primus checkout to write into (default: bundled tree)")
    parser.add_argument("--launch", choices=("none", "dry-run", "run"),
                        help="after writing: nothing, `primus-cli --dry-run direct`, or a real run")


def run(args: argparse.Namespace) -> int:
    from primus_tui.errors import UsageError

    headless_only = [flag for flag, on in (("--pretend", args.pretend), ("--json", args.json),
                                           ("--save-answers", args.save_answers is not None),
                                           ("--force", args.force), ("--launch", args.launch is not None)) if on]
    if args.answers is not None and not args.interactive:
        from primus_tui.wizard.headless import HeadlessOptions, run_headless

        return run_headless(HeadlessOptions(
            answers=args.answers, sets=list(args.sets), pretend=args.pretend, force=args.force, json=args.json,
            save_answers=args.save_answers, primus_root=args.primus_root, launch=args.launch,
        ))
    if headless_only:
        raise UsageError(f"{', '.join(headless_only)}: only with --answers FILE (headless mode)")
    state = None
    if args.answers is not None or args.sets:
        from primus_tui.wizard.headless import HeadlessOptions, load_state

        if args.answers is None:
            raise UsageError("--set: only with --answers FILE")
        state, _ = load_state(HeadlessOptions(answers=args.answers, sets=list(args.sets), primus_root=args.primus_root))
    from primus_tui.tui.app import run_app

    return int(run_app(state=state, primus_root=args.primus_root) or 0)
