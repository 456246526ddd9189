#!/usr/bin/env python3
"""Regenerate primus_tui/megatron/registry.json from a Megatron-LM and a Primus source tree.

    python tools/megatron_registry.py --megatron /tmp/megatron_src --primus /tmp/primus_src \
        --megatron-commit d3528a2... --primus-commit fd1eeab...   [--check] [--out FILE]

Commits default to the trees' own git HEADs (or the Primus checkout's submodule pin); an
archive extract has no git, so pass them. --check compares instead of writing (exit 1 on a diff).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from primus_tui.megatron.build import build, render  # noqa: E402
from primus_tui.megatron.commits import SHA, head_commit, megatron_commit  # noqa: E402
from primus_tui.megatron.registry import BUNDLED  # noqa: E402


def _commit(given: str | None, found: str | None, what: str, flag: str) -> str:
    sha = given or found
    if not sha or not SHA.match(sha):
        raise SystemExit(
            f"megatron_registry: cannot tell the {what} commit (not a git checkout); pass {flag} SHA (40 hex digits)"
        )
    return sha


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--megatron", type=Path, required=True, help="Megatron-LM source root (holds megatron/ and gpt_builders.py)"
    )
    parser.add_argument("--primus", type=Path, required=True, help="Primus source root (holds primus/)")
    parser.add_argument("--megatron-commit", help="Megatron-LM commit the tree is at")
    parser.add_argument("--primus-commit", help="Primus commit the tree is at")
    parser.add_argument("--out", type=Path, default=BUNDLED, help=f"output file (default: {BUNDLED})")
    parser.add_argument(
        "--check", action="store_true", help="compare with --out instead of writing; exit 1 on a difference"
    )
    args = parser.parse_args(argv)
    found = head_commit(args.megatron) or megatron_commit(args.primus)
    megatron = _commit(args.megatron_commit, found, "Megatron-LM", "--megatron-commit")
    primus = _commit(args.primus_commit, head_commit(args.primus), "Primus", "--primus-commit")
    try:
        text = render(build(args.megatron, args.primus, megatron, primus))
    except (OSError, ValueError, SyntaxError) as exc:
        raise SystemExit(f"megatron_registry: {exc}") from None
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        if current != text:
            print(f"megatron_registry: {args.out} is out of date; rerun without --check", file=sys.stderr)
            return 1
        print(f"megatron_registry: {args.out} is up to date")
        return 0
    fd, tmp = tempfile.mkstemp(dir=args.out.parent, prefix=f".{args.out.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, args.out)
    print(f"megatron_registry: wrote {args.out} (Megatron-LM {megatron[:12]}, Primus {primus[:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
