"""fetch_config: repo ids through the real HF cache path, local files, and one-line errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hf_helpers import fake_hub, load

from primus_tui.hf import HFConfig, HFError, fetch_config
from primus_tui.hf.fetch import cached_snapshot_file, hub_cache_dir

TINY = "TinyLlama/TinyLlama-1.1B-Chat-v1.0"


def test_repo_id_from_cache_records_commit_sha(hf_cache: dict[str, str]) -> None:
    cfg = fetch_config(TINY)
    assert isinstance(cfg, HFConfig)
    assert cfg.repo_id == TINY and cfg.revision == "main"
    assert cfg.commit_sha == hf_cache[TINY]
    assert cfg.path.name == "config.json" and hf_cache[TINY] in str(cfg.path)
    assert cfg.data == load(TINY)
    assert cfg.tokenizer_ref == TINY


def test_revision_by_commit_sha(hf_cache: dict[str, str]) -> None:
    cfg = fetch_config(TINY, revision=hf_cache[TINY])
    assert cfg.commit_sha == hf_cache[TINY]


@pytest.mark.parametrize("repo_id", ["TinyLlama/TinyLlama-1.1B-Chat-v1.0", "deepseek-ai/DeepSeek-V3", "Qwen/Qwen3-8B"])
def test_fast_path_matches_hf_hub_download(hf_cache: dict[str, str], monkeypatch: pytest.MonkeyPatch, repo_id: str) -> None:
    """The offline cache lookup resolves exactly the file huggingface_hub.hf_hub_download returns."""
    fast = fetch_config(repo_id)
    monkeypatch.setenv("PRIMUS_TUI_HF_NO_FASTPATH", "1")
    slow = fetch_config(repo_id)
    assert fast.path == slow.path and fast.commit_sha == slow.commit_sha == hf_cache[repo_id]
    import huggingface_hub

    assert Path(huggingface_hub.hf_hub_download(repo_id, "config.json", cache_dir=str(hub_cache_dir()),
                                                local_files_only=True)) == fast.path


def test_env_read_at_call_time(hf_cache: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub freezes HF_HOME at import; fetch_config must follow the current value."""
    import huggingface_hub  # noqa: F401  (imported before HF_HOME changes)

    monkeypatch.setenv("PRIMUS_TUI_HF_NO_FASTPATH", "1")
    assert fetch_config(TINY).commit_sha == hf_cache[TINY]
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty_home"))
    with pytest.raises(HFError, match="not in the Hugging Face cache"):
        fetch_config(TINY)


def test_hf_hub_cache_env(hf_cache: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    hub = Path(os.environ["HF_HOME"]) / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setenv("HF_HOME", "/nonexistent")
    assert fetch_config(TINY).commit_sha == hf_cache[TINY]
    assert cached_snapshot_file(hub, TINY, None) is not None


def test_local_folder_and_file(tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(load(TINY)))
    by_dir, by_file = fetch_config(str(folder)), fetch_config(str(folder / "config.json"))
    assert by_dir.repo_id is None and by_dir.commit_sha is None and by_dir.data == by_file.data
    assert by_dir.tokenizer_ref == str(folder)


def test_local_path_inside_cache_keeps_sha(hf_cache: dict[str, str]) -> None:
    path = fetch_config(TINY).path
    assert fetch_config(str(path)).commit_sha == hf_cache[TINY]


def _err(ref: str, revision: str | None = None) -> str:
    with pytest.raises(HFError) as info:
        fetch_config(ref, revision)
    text = str(info.value)
    assert "\n" not in text
    assert info.value.exit_code == 2
    return text


def test_not_cached_offline(hf_cache: dict[str, str]) -> None:
    assert "not in the Hugging Face cache" in _err("org/not-there") and "HF_HUB_OFFLINE" in _err("org/not-there")


def test_unknown_revision_offline(hf_cache: dict[str, str]) -> None:
    assert "TinyLlama/TinyLlama-1.1B-Chat-v1.0@v9" in _err(TINY, "v9")


def test_malformed_json(tmp_path: Path) -> None:
    bad = tmp_path / "config.json"
    bad.write_text('{"model_type": "llama",, }')
    assert "malformed JSON" in _err(str(bad)) and "line 1" in _err(str(bad))


def test_json_not_an_object(tmp_path: Path) -> None:
    bad = tmp_path / "config.json"
    bad.write_text("[1, 2]")
    assert "must be a JSON object" in _err(str(bad))


def test_not_causal_lm(hf_cache: dict[str, str]) -> None:
    message = _err("google-bert/bert-base-uncased")
    assert "not a causal-LM config" in message and "BertForMaskedLM" in message


def test_no_model_type(tmp_path: Path) -> None:
    bad = tmp_path / "config.json"
    bad.write_text('{"hidden_size": 8}')
    assert "no model_type" in _err(str(bad))


@pytest.mark.parametrize("ref,needle", [
    ("not a repo", "not a Hugging Face repo id"),
    ("", "empty"),
    ("./missing/config.json", "no such file"),
    ("a/b/c/d", "no such file"),
])
def test_bad_references(ref: str, needle: str) -> None:
    assert needle in _err(ref)


def test_folder_without_config(tmp_path: Path) -> None:
    assert "folder has no config.json" in _err(str(tmp_path))


def test_revision_on_local_path(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(load(TINY)))
    assert "--revision" in _err(str(tmp_path), "main")


@pytest.fixture
def online(hf_cache: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    """Online mode against a local fake Hub (HF_ENDPOINT), nothing cached for the probed repos."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "2")
    monkeypatch.setenv("HF_HUB_DOWNLOAD_TIMEOUT", "2")

    seen: list = []

    def start(routes):
        ctx = fake_hub(routes)
        endpoint, auth = ctx.__enter__()
        monkeypatch.setenv("HF_ENDPOINT", endpoint)
        contexts.append(ctx)
        seen.append(auth)
        return auth
    contexts: list = []
    yield start
    for ctx in contexts:
        ctx.__exit__(None, None, None)


def test_gated_repo_says_how_to_log_in(online) -> None:
    online({"/meta-llama/Llama-gated": (401, "GatedRepo", "Access to model is restricted")})
    message = _err("meta-llama/Llama-gated")
    assert "gated" in message and "hf auth login" in message and "HF_TOKEN" in message


def test_repo_not_found_or_private(online) -> None:
    online({"/org/private": (401, "RepoNotFound", "Repository not found")})
    message = _err("org/private")
    assert "repository not found" in message and "hf auth login" in message


def test_revision_not_found_online(online) -> None:
    online({"/org/model": (404, "RevisionNotFound", "Invalid rev id: nope")})
    assert "revision 'nope' not found" in _err("org/model", "nope")


def test_entry_not_found_online(online) -> None:
    online({"/org/dataset-like": (404, "EntryNotFound", "Entry not found")})
    assert "no config.json" in _err("org/dataset-like")


def test_unreachable_hub_not_cached(hf_cache: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """What hf_hub_download raises when the Hub cannot be reached and nothing is cached."""
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    def unreachable(*args, **kwargs):
        raise LocalEntryNotFoundError("An error happened while trying to locate the file on the Hub")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", unreachable)
    message = _err("org/unreachable")
    assert "cannot reach the Hugging Face Hub" in message


def test_token_from_env_and_stored_login(online, hf_cache, monkeypatch: pytest.MonkeyPatch) -> None:
    """HF_TOKEN, else the login stored under the current HF_HOME, is sent to the Hub."""
    auth = online({"/org/private": (401, "RepoNotFound", "Repository not found")})
    monkeypatch.setenv("HF_TOKEN", "hf_envtoken")
    _err("org/private")
    assert "Bearer hf_envtoken" in auth
    monkeypatch.delenv("HF_TOKEN")
    (Path(os.environ["HF_HOME"]) / "token").write_text("hf_storedtoken\n")
    _err("org/private")
    assert "Bearer hf_storedtoken" in auth
