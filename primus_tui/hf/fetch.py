"""Fetch a Hugging Face config.json (repo id, local model folder or file) with its commit sha."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class HFConfig:
    """A parsed config.json and where it came from (repo id, revision, resolved commit sha)."""

    ref: str
    repo_id: str | None
    revision: str | None
    commit_sha: str | None
    path: Path
    data: dict = field(repr=False)


def fetch_config(ref: str, revision: str | None = None) -> HFConfig:
    raise NotImplementedError
