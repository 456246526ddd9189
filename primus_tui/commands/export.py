"""`primus-tui export CKPT_DIR --to HF_FOLDER`: Megatron checkpoint -> config.json + safetensors.

Works on what `primus-tui convert` wrote and on the trainer's checkpoints of a run that loaded
one (both carry the source's config.json and tensor list). stdout: the folder written; exit 2 on
a checkpoint it cannot map back, 4 when the folder exists without --force.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", metavar="CKPT_DIR", help="checkpoint folder (with latest_checkpointed_iteration.txt) "
                                                             "or one of its iter_NNNNNNN / release folders")
    parser.add_argument("--to", required=True, metavar="HF_FOLDER", help="folder to write")
    parser.add_argument("--config", metavar="EXP.yaml", help="build the model from this experiment (default: the args "
                                                              "saved with the checkpoint)")
    parser.add_argument("--hf-config", metavar="REPO_OR_PATH", help="for a checkpoint convert did not start "
                        "(no primus_tui/ sidecar): the HF config to write; needs --config")
    parser.add_argument("--force", action="store_true", help="replace an existing folder")


def run(args: argparse.Namespace) -> int:
    import warnings

    from primus_tui.weights.folders import check_target

    check_target(Path(args.to).expanduser().absolute(), args.force)  # before torch is imported

    warnings.filterwarnings("ignore", message=r".*(Apex|Transformer Engine).*", category=UserWarning)
    from primus_tui.weights.export import ExportRequest, export

    result = export(ExportRequest(checkpoint=Path(args.checkpoint), to=Path(args.to),
                                  config=Path(args.config) if args.config else None, force=args.force,
                                  hf_config=args.hf_config))
    print(f"primus-tui: exported {result.tensors} tensors ({result.bytes_written / 1e9:.2f} GB) from iteration "
          f"{result.iteration}", file=sys.stderr)
    print(result.to)
    return 0
