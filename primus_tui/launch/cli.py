"""`primus-cli`: Primus's launcher contract (direct / slurm) backed by primus_tui's trainer.

`python -m primus_tui.launch.cli [--debug] [--dry-run] <direct|slurm> ... -- train pretrain --config EXP`.
Errors are one line on stderr (`primus-cli: error: ...`); bad arguments add the usage text.
Imports are deferred so that a missing base dependency (e.g. pyyaml) is exit 1, not a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from primus_tui.launch.args import USAGE, HelpRequested
        from primus_tui.launch.errors import LaunchError
        from primus_tui.launch.launcher import run
    except ModuleNotFoundError as exc:
        print(f"primus-cli: error: {exc.name} is not installed for {sys.executable}; "
              f"install primus-tui: pip install -e . (or `make test`)", file=sys.stderr)
        return 1
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except HelpRequested as msg:
        print(msg.text)
        return 0
    except LaunchError as exc:
        print(f"primus-cli: error: {' '.join(str(exc).split())}", file=sys.stderr)
        if exc.show_usage:
            print(USAGE, file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `primus-cli --dry-run ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
