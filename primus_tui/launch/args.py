"""Parse `primus-cli [global] <direct|slurm> [mode options] -- train pretrain --config EXP [overrides]`.

Same grammar as Primus's runner/primus-cli, primus-cli-direct.sh and primus-cli-slurm.sh, for
the subset this launcher runs (`train pretrain`). Pure: no I/O besides reading nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from primus_tui.launch.errors import LaunchError

VERSION = "1.0.0"
MODES = ("direct", "slurm")
SLURM_LAUNCHERS = ("srun", "sbatch")

USAGE = """\
usage: primus-cli [--debug] [--dry-run] <direct|slurm> [mode options] -- train pretrain --config EXP.yaml [overrides]

global options:
  --debug            verbose launcher output (PRIMUS_LOG_LEVEL=DEBUG)
  --dry-run          print the exact command, environment and resolved config; run nothing
  --version          print the version
  -h, --help         this help

direct [--env KEY=VALUE | --env FILE ...] [--single] [--log_file PATH] [--numa|--no-numa] [--silent]
       -- <primus args>
  runs torchrun on this node (--single: one plain python process, no torchrun).
  --env FILE sources a bash env file (its variables are exported); --env KEY=VALUE wins over it.
  --silent drops the job's stdout (errors on stderr and the log file are kept).
  environment: NNODES (1), NODE_RANK (0), GPUS_PER_NODE (visible GPUs, else 1),
               MASTER_ADDR (localhost), MASTER_PORT (1234)

slurm [srun|sbatch] [SLURM_FLAGS ...] -- [direct [direct options] --] <primus args>
  builds the srun/sbatch line that runs `primus-cli direct` once per node with
  NNODES/NODE_RANK/MASTER_ADDR/MASTER_PORT taken from the Slurm allocation.

primus args: train pretrain --config EXP.yaml [key=value | --key value ...]

exit codes: 0 ok, 1 missing dependency, 2 invalid arguments/config, 3 runtime failure,
            130 interrupted (SIGINT), 143 terminated (SIGTERM)"""


@dataclass
class DirectOptions:
    env: list[tuple[str, str]] = field(default_factory=list)
    env_files: list[str] = field(default_factory=list)  # `--env FILE`: sourced with bash, in order
    single: bool = False
    silent: bool = False
    log_file: str | None = None
    numa: bool | None = None  # None: auto (off), like Primus


@dataclass
class SlurmOptions:
    launcher: str = "srun"
    flags: list[str] = field(default_factory=list)


@dataclass
class PrimusCommand:
    """`train pretrain --config EXP [overrides]`: what each rank runs."""

    config: Path
    overrides: list[str]

    def argv(self) -> list[str]:
        return ["train", "pretrain", "--config", str(self.config), *self.overrides]


@dataclass
class LaunchRequest:
    mode: str
    command: PrimusCommand
    direct: DirectOptions
    slurm: SlurmOptions | None = None
    debug: bool = False
    dry_run: bool = False


class HelpRequested(Exception):
    """-h/--help or --version: print `text` and exit 0."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _usage_error(message: str) -> LaunchError:
    return LaunchError(message, exit_code=2, show_usage=True)


def parse_primus_args(argv: list[str]) -> PrimusCommand:
    if not argv:
        raise _usage_error("missing primus command after '--' (expected: train pretrain --config EXP.yaml)")
    if argv[:2] != ["train", "pretrain"]:
        raise _usage_error(f"unsupported primus command {' '.join(argv[:2])!r}: this launcher runs `train pretrain`")
    rest = list(argv[2:])
    config: str | None = None
    overrides: list[str] = []
    i = 0
    while i < len(rest):
        token = rest[i]
        if token == "--config":
            if i + 1 >= len(rest) or rest[i + 1].startswith("--"):
                raise _usage_error("--config requires an experiment YAML path")
            config = rest[i + 1]
            i += 2
            continue
        if token.startswith("--config="):
            config = token.split("=", 1)[1]
        else:
            overrides.append(token)
        i += 1
    if not config:
        raise _usage_error("missing --config EXP.yaml")
    return PrimusCommand(config=Path(config), overrides=overrides)


def _parse_env(value: str | None, opts: DirectOptions) -> None:
    """`--env KEY=VALUE` sets a variable; `--env FILE` (no '=') names an env file, as in Primus."""
    if not value:
        raise _usage_error("--env expects KEY=VALUE or an env file path")
    if "=" not in value:
        opts.env_files.append(value)
        return
    key, val = value.split("=", 1)
    if not key or not key.replace("_", "a").isalnum() or key[0].isdigit():
        raise _usage_error(f"--env: invalid variable name {key!r}")
    opts.env.append((key, val))


def _parse_direct(tokens: list[str], request: LaunchRequest) -> list[str]:
    """Direct options up to '--'; returns the tokens after it."""
    opts = request.direct
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "--":
            return tokens[i + 1 :]
        if token in ("-h", "--help"):
            raise HelpRequested(USAGE)
        if token == "--single":
            opts.single = True
        elif token == "--numa":
            opts.numa = True
        elif token == "--no-numa":
            opts.numa = False
        elif token == "--silent":
            opts.silent = True
        elif token == "--debug":
            request.debug = True
        elif token == "--dry-run":
            request.dry_run = True
        elif token in ("--env", "--log_file"):
            value = tokens[i + 1] if i + 1 < len(tokens) else None
            if value is None or value == "--":
                raise _usage_error(f"{token} requires a value")
            if token == "--env":
                _parse_env(value, opts)
            else:
                opts.log_file = value
            i += 1
        elif token.startswith("--env="):
            _parse_env(token.split("=", 1)[1], opts)
        elif token.startswith("--log_file="):
            opts.log_file = token.split("=", 1)[1]
        else:
            raise _usage_error(f"unknown direct option {token!r}")
        i += 1
    raise _usage_error("missing '--' before the primus command (… direct [options] -- train pretrain --config EXP.yaml)")


def _parse_slurm(tokens: list[str], request: LaunchRequest) -> list[str]:
    slurm = SlurmOptions()
    request.slurm = slurm
    if tokens and tokens[0] in SLURM_LAUNCHERS:
        slurm.launcher = tokens.pop(0)
    if tokens and tokens[0] in ("-h", "--help"):
        raise HelpRequested(USAGE)
    if "--" not in tokens:
        raise _usage_error("missing '--' after the Slurm flags (slurm [srun|sbatch] [flags] -- train pretrain ...)")
    cut = tokens.index("--")
    slurm.flags = tokens[:cut]
    rest = tokens[cut + 1 :]
    if rest[:1] == ["container"]:
        raise _usage_error("slurm entry 'container' is not supported by this launcher (use direct)")
    if rest[:1] == ["direct"]:
        rest = _parse_direct(rest[1:], request)
    return rest


def parse_launch_args(argv: list[str]) -> LaunchRequest:
    """Parse the full primus-cli argv; raises LaunchError (exit 2, with usage) or HelpRequested."""
    tokens = list(argv)
    if not tokens:
        raise HelpRequested(USAGE)
    request = LaunchRequest(mode="", command=PrimusCommand(Path(), []), direct=DirectOptions())
    while tokens:
        token = tokens.pop(0)
        if token in ("-h", "--help"):
            raise HelpRequested(USAGE)
        if token == "--version":
            raise HelpRequested(f"primus-cli (primus-tui) {VERSION}")
        if token == "--debug":
            request.debug = True
        elif token == "--dry-run":
            request.dry_run = True
        elif token in MODES:
            request.mode = token
            break
        elif token == "container":
            raise _usage_error("mode 'container' is not supported by this launcher (supported: direct, slurm)")
        else:
            raise _usage_error(f"unknown mode or option {token!r} (supported modes: {', '.join(MODES)})")
    if not request.mode:
        raise _usage_error("missing mode (direct or slurm)")
    rest = _parse_direct(tokens, request) if request.mode == "direct" else _parse_slurm(tokens, request)
    request.command = parse_primus_args(rest)
    return request
