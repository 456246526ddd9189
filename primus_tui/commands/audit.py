"""`primus-tui audit [PRESET ...]`: do Primus's model presets match the HF models they name?

One line per preset on stdout, then one indented line per divergence (architecture mismatches
first). Reads the local HF cache only. Exit 1 when any architecture mismatch is found.
"""

from __future__ import annotations

import argparse
import json
import sys

from primus_tui.hf.errors import HFError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("presets", nargs="*", metavar="PRESET", help="model presets to audit (default: all naming an HF repo)")
    parser.add_argument("--hf", action="append", default=[], metavar="PRESET=REPO",
                        help="compare PRESET with HF repo REPO (repeatable)")
    parser.add_argument("--primus-root", metavar="PATH", help="a Primus checkout (default: bundled tree)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def parse_pairs(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        preset, sep, repo = pair.partition("=")
        if not sep or not preset.strip() or not repo.strip():
            raise HFError(f"--hf {pair!r}: expected PRESET=REPO, e.g. llama3.2_1B=meta-llama/Llama-3.2-1B")
        out[preset.strip()] = repo.strip()
    return out


def _fmt(value: object) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def run(args: argparse.Namespace) -> int:
    from primus_tui.config import ConfigTree
    from primus_tui.hf import audit_presets

    tree = ConfigTree.at(args.primus_root)
    overrides = parse_pairs(args.hf)
    results = audit_presets(tree, args.presets or None, overrides)
    mismatched = [r for r in results if r.status == "mismatch"]
    if args.json:
        payload = [{"preset": r.preset, "repo_id": r.repo_id, "status": r.status, "message": r.message,
                    "divergences": [d.__dict__ for d in r.divergences]} for r in results]
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
    else:
        for r in results:
            head = f"{r.preset}: {r.status}" + (f" ({r.repo_id})" if r.repo_id else "")
            print(head + (f" - {r.message}" if r.message else ""))
            for d in sorted(r.divergences, key=lambda d: d.kind != "architecture"):
                note = f"; {d.note}" if d.note else ""
                print(f"  {d.kind:<12} {d.key}: preset {_fmt(d.preset_value)}, HF {_fmt(d.hf_value)} (from {d.hf_key}){note}")
    counts = {s: sum(1 for r in results if r.status.startswith(s)) for s in ("mismatch", "ok", "skipped", "error")}
    print(f"primus-tui: audit: {counts['mismatch']} with architecture mismatches, {counts['ok']} ok, "
          f"{counts['skipped']} skipped, {counts['error']} errors", file=sys.stderr)
    return 1 if mismatched else 0
