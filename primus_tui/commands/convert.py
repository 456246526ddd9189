"""`primus-tui convert REPO_OR_PATH --name N`: HF weights -> megatron-core distributed checkpoint.

stdout: the checkpoint folder; stderr: a progress line (tensors, bytes, ETA) and a summary.
Exit 2 on a bad reference, an unsupported model or a tensor that does not fit (named, with both
shapes), 4 when the output exists without --force, 130 on Ctrl-C (the temp folder is removed).
torch and megatron-core are imported only here, inside run().
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="REPO_OR_PATH", help="Hugging Face repo id or local model folder")
    parser.add_argument("--name", required=True, help="model config name, as for `primus-tui import --name`")
    parser.add_argument("--revision", help="branch, tag or commit of the HF repo (default: main)")
    parser.add_argument("--out", metavar="DIR", help="checkpoint folder (default: ./checkpoints/<name>)")
    parser.add_argument("--dtype", choices=("bf16", "fp32"), default="bf16", help="tensor dtype written (default bf16)")
    parser.add_argument("--force", action="store_true", help="replace an existing checkpoint folder")
    parser.add_argument("--primus-root", metavar="PATH", help="a Primus checkout (default: bundled tree)")
    parser.add_argument("--accept-divergence", action="append", default=[], metavar="KEY",
                        help="as for `primus-tui import` (repeatable)")


def run(args: argparse.Namespace) -> int:
    from primus_tui.commands.import_cmd import check_name
    from primus_tui.weights.folders import check_target

    name = check_name(args.name)
    out = Path(args.out or Path("checkpoints") / name)
    check_target(out.expanduser().absolute(), args.force)  # before torch is imported: a refusal is instant
    import warnings

    # megatron-core warns at import that Apex / Transformer Engine are absent: known, not actionable
    warnings.filterwarnings("ignore", message=r".*(Apex|Transformer Engine).*", category=UserWarning)
    from primus_tui.weights.convert import ConvertRequest, convert

    result = convert(ConvertRequest(ref=args.model, name=name, out=out, revision=args.revision, dtype=args.dtype,
                                    force=args.force, primus_root=args.primus_root,
                                    accept=tuple(args.accept_divergence)))
    print(f"primus-tui: converted {result.tensors} tensors ({result.bytes_read / 1e9:.2f} GB read, "
          f"{result.bytes_written / 1e9:.2f} GB written) in {result.seconds:.1f} s "
          f"({result.bytes_read / max(result.seconds, 1e-9) / 1e9:.2f} GB/s; writing {result.write_seconds:.1f} s); "
          f"train with `load: {result.out}`",
          file=sys.stderr)
    print(result.out)
    return 0
