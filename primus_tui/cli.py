"""Command line: `primus-tui [wizard flags]` or `primus-tui <subcommand> ...`.

stdout carries data, stderr diagnostics. Every user error is one line on stderr
and a non-zero exit; tracebacks only with PRIMUS_TUI_DEBUG=1.
"""

from __future__ import annotations

import importlib
import os
import sys

# name -> module under primus_tui.commands exposing add_arguments(parser) and run(args) -> int
SUBCOMMANDS = {
    "resolve": "Print the merged module config of an experiment (Primus's own merge rules).",
    "import": "Hugging Face config.json -> Primus model YAML (exact Megatron fields, checks, param counts).",
    "audit": "Compare Primus model presets with the Hugging Face configs they name.",
    "schema": "The answers file's JSON Schema (for editors and linters).",
    "plan": "Parallel layout + per-GPU memory planner: which TP/PP/CP/EP layouts fit, fastest first.",
    "convert": "Hugging Face weights -> megatron-core distributed checkpoint (Megatron-LM --load layout).",
    "export": "Megatron checkpoint -> Hugging Face folder (config.json + safetensors) transformers loads.",
}
WIZARD_MODULE = "wizard_main"
# subcommand -> module name, where the subcommand is a Python keyword ("import")
MODULE_NAMES = {"import": "import_cmd"}


def _load(name: str):
    return importlib.import_module(f"primus_tui.commands.{MODULE_NAMES.get(name, name)}")


def build_parser(command: str | None):
    import argparse

    if command is None:
        module = _load(WIZARD_MODULE)
        parser = argparse.ArgumentParser(
            prog="primus-tui",
            description="Wizard: Hugging Face model -> Primus model + experiment YAML -> primus-cli run.",
            epilog="Subcommands: " + ", ".join(SUBCOMMANDS) + " (primus-tui <subcommand> --help)",
        )
        module.add_arguments(parser)
        return parser, module
    module = _load(command)
    parser = argparse.ArgumentParser(prog=f"primus-tui {command}", description=SUBCOMMANDS[command])
    module.add_arguments(parser)
    return parser, module


def main(argv: list[str] | None = None) -> int:
    from primus_tui import errors

    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    parser, module = build_parser(command)
    rest = argv[1:] if command else argv
    if getattr(module, "ACCEPTS_UNKNOWN", False):
        # Subcommands that take `--key value` config overrides pass unknown options through.
        args, unknown = parser.parse_known_args(rest)
        args.extra = unknown
    else:
        args = parser.parse_args(rest)
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("primus-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError as exc:
        if _stdout_reader_gone():  # `primus-tui resolve ... | head`: the reader had enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
            return 0
        return _internal_error(exc)  # a pipe of our own (a helper process) broke: never a silent 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        # Read the registry now: core packages register their error types when first imported.
        if isinstance(exc, errors.UserError):
            print(f"primus-tui: error: {errors.one_line(exc)}", file=sys.stderr)
            return getattr(exc, "exit_code", 2)
        return _internal_error(exc)


def _internal_error(exc: BaseException) -> int:
    from primus_tui import errors

    if os.environ.get("PRIMUS_TUI_DEBUG"):
        raise exc
    print(f"primus-tui: internal error: {type(exc).__name__}: {errors.one_line(exc)} "
          "(PRIMUS_TUI_DEBUG=1 for a traceback)", file=sys.stderr)
    return 70


def _stdout_reader_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed (POLLERR on the write end)."""
    import select

    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # not a file (captured in-process)
        return False
    poller = select.poll()
    poller.register(fd, select.POLLERR)
    return any(events & select.POLLERR for _, events in poller.poll(0))
