"""`primus-tui` with no subcommand: the interactive wizard (or headless with --answers)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--primus-root", metavar="PATH", help="a Primus checkout to work in (default: bundled tree)")


def run(args: argparse.Namespace) -> int:
    from primus_tui.errors import UsageError

    raise UsageError("the wizard is not built yet")
