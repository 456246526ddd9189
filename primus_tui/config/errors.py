"""One exception type for every config problem, rendered as one line."""

from __future__ import annotations


class ConfigError(Exception):
    """A config problem the user can fix; `str()` is a single line naming the file."""

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        self.problem = message
        super().__init__(f"{path}: {message}" if path else message)
