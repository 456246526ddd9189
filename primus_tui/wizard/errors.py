"""Wizard error types, each with the exit code the headless mode returns for it."""

from __future__ import annotations

from primus_tui.errors import register_user_error


class WizardError(Exception):
    """Bad answers or config the user can fix (exit 2)."""

    exit_code = 2


class WriteRefused(WizardError):
    """An existing file differs from what the answers produce and overwriting was not allowed (exit 4)."""

    exit_code = 4


class WriteConflict(WriteRefused):
    """The disk changed between plan and write (another writer created or edited a target) (exit 4)."""


class WriteFailed(WizardError):
    """The target tree cannot be written (read-only, a file where a folder should be...) (exit 2)."""

    exit_code = 2


class LaunchFailed(WizardError):
    """`primus-cli` could not start or exited non-zero (exit 3)."""

    exit_code = 3


for _exc in (WizardError, WriteRefused, WriteConflict, WriteFailed, LaunchFailed):
    register_user_error(_exc)

EXIT_OK = 0
EXIT_BAD_ANSWERS = 2
EXIT_LAUNCH_FAILED = 3
EXIT_REFUSED = 4
