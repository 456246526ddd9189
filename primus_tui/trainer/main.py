"""Entry point of each launched process: `python -m primus_tui.trainer train pretrain --config EXP [overrides]`.

Exit codes follow Primus: 0 ok, 1 missing dependency, 2 invalid config, 3 runtime failure.
Each rank also records its exit code in $PRIMUS_TUI_STATUS_DIR/rank<R>.json, because torchrun
collapses every worker failure into exit 1 and the launcher must tell them apart.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import traceback
import warnings
from pathlib import Path

from primus_tui.errors import one_line
from primus_tui.trainer.config_env import apply_config_env
from primus_tui.trainer.errors import INSTALL_HINT, MissingDependency, TrainerError, UnsupportedConfig

STATUS_DIR_ENV = "PRIMUS_TUI_STATUS_DIR"
PREFIX = "[primus-tui] ERROR:"  # the launcher adds its own one-line `primus-cli: error:` summary


def parse_args(argv: list[str]) -> tuple[Path, list[str]]:
    """`train pretrain --config EXP [key=value | --key value ...]` -> (experiment, overrides).

    The launcher's own parser, so both sides agree on what is an override.
    """
    from primus_tui.launch.args import parse_primus_args
    from primus_tui.launch.errors import LaunchError

    try:
        command = parse_primus_args(argv)
    except LaunchError as exc:
        raise UnsupportedConfig("command", str(exc)) from None
    return command.config, command.overrides


def check_dependencies() -> None:
    for module, what in (("torch", "torch"), ("megatron.core", "megatron-core")):
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise MissingDependency(
                f"{what} is not importable by {sys.executable} ({exc}); install the training extra: {INSTALL_HINT}"
            ) from exc


def _write_status(code: int, message: str) -> None:
    folder = os.environ.get(STATUS_DIR_ENV)
    if not folder:
        return
    rank = os.environ.get("RANK", "0")
    try:
        path = Path(folder) / f"rank{rank}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"rank": int(rank), "exit_code": code, "message": message}))
        os.replace(tmp, path)
    except OSError:
        pass


class Terminated(BaseException):
    """SIGTERM (torchrun stopping the other ranks after a failure, or primus-cli after Ctrl-C)."""


def _on_sigterm(_signum, _frame) -> None:
    raise Terminated()


def _is_reporting_rank() -> bool:
    return os.environ.get("RANK", "0") == "0"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    code, message = 0, ""
    # megatron-core warns at import that Apex / Transformer Engine are absent: known, not actionable.
    warnings.filterwarnings("ignore", message=r".*(Apex|Transformer Engine).*", category=UserWarning)
    signal.signal(signal.SIGTERM, _on_sigterm)  # report "stopped" instead of vanishing without a status
    try:
        exp, overrides = parse_args(argv)
        apply_config_env(exp)  # before torch is imported, as Primus does
        check_dependencies()
        from primus_tui.trainer.pretrain import pretrain  # imports torch and megatron-core

        pretrain(exp, overrides)
    except TrainerError as exc:
        code, message = exc.exit_code, one_line(exc)
        if _is_reporting_rank():
            print(f"{PREFIX} {message}", file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        code, message = 130, "interrupted"
    except Terminated:
        code, message = 143, "terminated"
    except Exception as exc:  # a crash inside torch/megatron: keep the traceback for the log
        from primus_tui.config import ConfigError

        if isinstance(exc, ConfigError):
            code, message = 2, one_line(exc)
            if _is_reporting_rank():
                print(f"{PREFIX} {message}", file=sys.stderr, flush=True)
        else:
            code, message = 3, f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
            print(f"{PREFIX} [rank {os.environ.get('RANK', '0')}] training crashed: {message}", file=sys.stderr, flush=True)
    _write_status(code, message)
    return code


if __name__ == "__main__":
    sys.exit(main())
