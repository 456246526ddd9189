"""User-facing errors shared by every front end."""

from __future__ import annotations

from primus_tui.config.errors import ConfigError


class UsageError(Exception):
    """Bad arguments or inputs (exit 2)."""

    exit_code = 2


# Everything a front end reports as one clean line instead of a traceback.
UserError: tuple[type[BaseException], ...] = (ConfigError, UsageError)


def register_user_error(exc_type: type[BaseException]) -> None:
    """Let a core package (hf, wizard, launch) mark its error type as user-facing."""
    global UserError
    if exc_type not in UserError:
        UserError = (*UserError, exc_type)


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
