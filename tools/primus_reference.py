"""Dev tool: resolve an experiment with Primus's OWN parser, for golden files.

Usage: PRIMUS_SRC=/path/to/Primus python tools/primus_reference.py EXP.yaml [module]

Prints the merged module config as JSON, exactly as `PrimusParser.parse` leaves it.
Presets are read from PRIMUS_SRC's own primus/configs (Primus resolves them relative to
its installed package), so run it on experiments whose presets exist there.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys


def main() -> int:
    src = os.environ.get("PRIMUS_SRC")
    if not src:
        print("set PRIMUS_SRC to a Primus checkout", file=sys.stderr)
        return 2
    sys.path.insert(0, src)
    from primus.core.launcher.parser import PrimusParser  # noqa: PLC0415 - Primus is optional
    from primus.core.utils.yaml_utils import nested_namespace_to_dict

    exp = os.path.abspath(sys.argv[1])
    module = sys.argv[2] if len(sys.argv) > 2 else "pre_trainer"
    with contextlib.redirect_stdout(io.StringIO()):  # Primus prints "Created path: ..."
        cfg = PrimusParser().parse(argparse.Namespace(config=exp))
    print(json.dumps(nested_namespace_to_dict(cfg.get_module_config(module)), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
