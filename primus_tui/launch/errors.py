"""Launcher errors carrying Primus's exit codes (1 missing dependency, 2 invalid input, 3 runtime)."""

from __future__ import annotations

from primus_tui.errors import register_user_error


class LaunchError(Exception):
    """One-line user-facing launcher failure; `show_usage` adds the usage text (bad arguments)."""

    exit_code = 2

    def __init__(self, message: str, *, exit_code: int | None = None, show_usage: bool = False) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code
        self.show_usage = show_usage


register_user_error(LaunchError)
