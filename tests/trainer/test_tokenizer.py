"""Tokenizer facts from the HF cache only (never the Hub), and the mock-data fallback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from primus_tui.trainer.errors import UnsupportedConfig
from primus_tui.trainer.tokenizer import lookup, resolve_tokenizer

SHA = "0123456789abcdef0123456789abcdef01234567"
TOKENIZER_JSON = {
    "version": "1.0",
    "added_tokens": [{"id": 0, "content": "<unk>"}, {"id": 1, "content": "<s>"}, {"id": 2, "content": "</s>"},
                     {"id": 6, "content": "<pad>"}],
    "model": {"type": "BPE", "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "a": 3, "b": 4, "ab": 5}},
}


def put_in_cache(hub: Path, repo: str, files: dict[str, dict]) -> None:
    """Lay files out as huggingface_hub's cache does (snapshots/<sha>/..., refs/main)."""
    repo_dir = hub / ("models--" + repo.replace("/", "--"))
    snap = repo_dir / "snapshots" / SHA
    snap.mkdir(parents=True)
    for name, data in files.items():
        (snap / name).write_text(json.dumps(data))
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(SHA)


@pytest.fixture
def hub(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    return tmp_path / "hf" / "hub"


def test_lookup_reads_vocab_and_eos_from_the_cache(hub, monkeypatch):
    put_in_cache(hub, "org/tok", {"tokenizer.json": TOKENIZER_JSON, "tokenizer_config.json": {"eos_token": "</s>"}})
    info = lookup("org/tok")
    assert (info.vocab_size, info.eod) == (7, 2)  # max id + 1 (added tokens included), like len(tokenizer)
    assert "HF cache" in info.source
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"  # the lookup itself forces offline mode


def test_eos_from_config_json_and_local_folder(hub, tmp_path):
    put_in_cache(hub, "org/tok2", {"tokenizer.json": TOKENIZER_JSON, "config.json": {"eos_token_id": [2, 1]}})
    assert lookup("org/tok2").eod == 2
    local = tmp_path / "local_tok"
    local.mkdir()
    (local / "tokenizer.json").write_text(json.dumps(TOKENIZER_JSON))
    (local / "tokenizer_config.json").write_text(json.dumps({"eos_token": {"content": "<s>"}}))
    assert (lookup(str(local)).vocab_size, lookup(str(local)).eod) == (7, 1)


def test_not_cached_is_none(hub):
    assert lookup("org/absent") is None
    assert lookup("not-a-repo-id") is None


def test_mock_data_falls_back_to_vocab_size_with_a_warning(hub):
    info, warning = resolve_tokenizer({"tokenizer_type": "HuggingFaceTokenizer", "tokenizer_model": "org/absent",
                                       "vocab_size": 512}, mock_data=True)
    assert (info.vocab_size, info.eod) == (512, 511)
    assert "org/absent" in warning and "vocab_size 512" in warning


def test_null_tokenizer_needs_no_warning(hub):
    info, warning = resolve_tokenizer({"tokenizer_type": "NullTokenizer", "vocab_size": 100}, mock_data=False)
    assert info.vocab_size == 100 and warning is None


def test_cached_tokenizer_wins_over_vocab_size(hub):
    put_in_cache(hub, "org/tok", {"tokenizer.json": TOKENIZER_JSON})
    info, warning = resolve_tokenizer({"tokenizer_type": "HuggingFaceTokenizer", "tokenizer_model": "org/tok",
                                       "vocab_size": 512}, mock_data=True)
    assert info.vocab_size == 7 and warning is None


@pytest.mark.parametrize(
    "values, mock, key",
    [
        ({"tokenizer_type": "HuggingFaceTokenizer", "tokenizer_model": "org/absent"}, False, "tokenizer_model"),
        ({"tokenizer_type": "HuggingFaceTokenizer", "tokenizer_model": "org/absent"}, True, "tokenizer_model"),
        ({"tokenizer_type": "NullTokenizer"}, True, "vocab_size"),
    ],
)
def test_no_tokenizer_and_nothing_to_fall_back_to(hub, values, mock, key):
    with pytest.raises(UnsupportedConfig) as err:
        resolve_tokenizer(values, mock_data=mock)
    assert err.value.key == key and err.value.exit_code == 2
