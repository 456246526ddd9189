"""Shared fixtures: an offline Hugging Face cache built from real config.json files."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.fixture_data import FIXTURES, HF_FIXTURES, REPO_ROOT, fixture_repo_ids  # noqa: F401


# Real Hub commits of fixtures whose config.json is byte-for-byte the one at that commit, so files
# generated from the offline cache name a commit that also exists on the live Hub.
REAL_COMMITS = {
    "TinyLlama/TinyLlama-1.1B-Chat-v1.0": "fe8a4ea1ffedaf415f4da2f062534de366a451e6",
}


def fake_commit_sha(repo_id: str, payload: bytes) -> str:
    if repo_id in REAL_COMMITS:
        return REAL_COMMITS[repo_id]
    return hashlib.sha1(repo_id.encode() + b"\0" + payload).hexdigest()


def populate_hf_cache(hub_dir: Path, repo_ids: list[str] | None = None) -> dict[str, str]:
    """Lay fixtures out exactly as huggingface_hub's cache does; return repo id -> commit sha."""
    shas: dict[str, str] = {}
    for repo_id in repo_ids or fixture_repo_ids():
        src = HF_FIXTURES / repo_id.replace("/", "--", 1) / "config.json"
        payload = src.read_bytes()
        sha = fake_commit_sha(repo_id, payload)
        repo_dir = hub_dir / ("models--" + repo_id.replace("/", "--"))
        blob = hashlib.sha256(payload).hexdigest()
        (repo_dir / "blobs").mkdir(parents=True, exist_ok=True)
        (repo_dir / "blobs" / blob).write_bytes(payload)
        snap = repo_dir / "snapshots" / sha
        snap.mkdir(parents=True, exist_ok=True)
        target = snap / "config.json"
        if not target.exists():
            os.symlink(os.path.relpath(repo_dir / "blobs" / blob, snap), target)
        (repo_dir / "refs").mkdir(exist_ok=True)
        (repo_dir / "refs" / "main").write_text(sha)
        shas[repo_id] = sha
    return shas


@pytest.fixture
def hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A temporary HF_HOME holding every fixture, with HF_HUB_OFFLINE=1. Returns repo id -> sha."""
    home = tmp_path / "hf_home"
    shas = populate_hf_cache(home / "hub")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return shas


@pytest.fixture
def primus_tree_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled tree (primus/configs + examples), as a Primus root."""
    root = tmp_path / "primus_root"
    shutil.copytree(REPO_ROOT / "primus", root / "primus")
    shutil.copytree(REPO_ROOT / "examples", root / "examples")
    return root


@pytest.fixture
def python() -> str:
    return sys.executable


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker gets its own $TMPDIR: tests assert that nothing of ours is
    left in $TMPDIR, which another worker's run would otherwise break."""
    import tempfile

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        own = Path(tempfile.gettempdir()) / f"primus-tui-tests-{os.getpid()}-{worker}"
        own.mkdir(parents=True, exist_ok=True)
        os.environ["TMPDIR"] = str(own)
        tempfile.tempdir = None  # re-read $TMPDIR
        config.add_cleanup(lambda: shutil.rmtree(own, ignore_errors=True))
