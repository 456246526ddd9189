"""Errors of convert / export, printed as one line by the CLI (pure: no torch)."""

from __future__ import annotations

from primus_tui.errors import register_user_error


class WeightsError(Exception):
    """A bad input to convert / export (exit 2); the message names the file or tensor."""

    exit_code = 2


class OverwriteRefused(WeightsError):
    """The output folder already holds something and --force was not given (exit 4)."""

    exit_code = 4


register_user_error(WeightsError)
