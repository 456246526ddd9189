"""`primus-tui schema`: the answers file's JSON Schema, derived from its one declaration."""

from __future__ import annotations

import argparse
import json

from primus_tui.wizard.schema import json_schema


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--indent", type=int, default=2, help="JSON indentation (default 2)")


def run(args: argparse.Namespace) -> int:
    print(json.dumps(json_schema(), indent=args.indent))
    return 0
