"""Errors of a file transaction: one line that says what the tree holds now."""

from __future__ import annotations

from primus_tui.errors import register_user_error


class FileWriteError(Exception):
    """A target could not be written; the message says whether anything changed (exit 2)."""

    exit_code = 2


class FileConflict(FileWriteError):
    """The disk changed between plan and write: a new file appeared, or a replaced one was edited (exit 4)."""

    exit_code = 4


for _exc in (FileWriteError, FileConflict):
    register_user_error(_exc)
