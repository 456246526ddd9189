"""A problem found in the answers, with its path in the answers file, and did-you-mean help."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) at `path` in the answers, e.g. `experiment.overrides.seq_length`."""

    path: str
    message: str
    severity: str = "error"  # "error" | "warning"
    source: str = "answers"  # what found it: answers | hf | tree | checks | plan | resolution

    @property
    def blocks(self) -> bool:
        """An error blocks writing the files (every front end's write guard reads this)."""
        return self.severity == "error"

    def key_in(self, section: str) -> str | None:
        """The key under `section` this problem is about (`architecture.num_layers` -> `num_layers`)."""
        head = self.path.split(" ", 1)[0]
        return head[len(section) + 1:] or None if head.startswith(section + ".") else None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def to_dict(self) -> dict:
        return {"path": self.path, "message": self.message, "severity": self.severity, "source": self.source}


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'x'?)` when a close match exists, else ``."""
    matches = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def errors_of(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


def warnings_of(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity != "error"]
