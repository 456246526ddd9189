"""Tokenizer facts the trainer needs (vocab size, end-of-document id), from the HF cache only.

Never contacts the Hub: a download that hangs on an offline cluster node is worse than a clear
message. Only JSON files are read (tokenizer.json, tokenizer_config.json, config.json), so
neither `transformers` nor `tokenizers` is needed. With mock data and no tokenizer in the
cache, the config's vocab_size is used instead (with a warning).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from primus_tui.trainer.errors import UnsupportedConfig

NULL_TYPES = ("NullTokenizer",)


@dataclass(frozen=True)
class TokenizerInfo:
    """Duck-types what megatron-core's GPT datasets read from a tokenizer."""

    vocab_size: int
    eod: int
    source: str  # where the facts came from, for the banner
    pad: int = -1  # no pad token: megatron then pads with -1 and masks it out

    @property
    def unique_identifiers(self) -> dict[str, Any]:
        return {"class": "TokenizerInfo", "vocab_size": self.vocab_size, "eod": self.eod}


def _hub_cache() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface")
    return Path(home) / "hub"


def _cached_file(repo_or_dir: str, filename: str) -> Path | None:
    local = Path(repo_or_dir).expanduser()
    if local.is_dir():
        return local / filename if (local / filename).is_file() else None
    if repo_or_dir.count("/") != 1:
        return None
    os.environ["HF_HUB_OFFLINE"] = "1"  # belt and braces: nothing below may reach the network
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(repo_or_dir, filename, cache_dir=str(_hub_cache()))
    return Path(found) if isinstance(found, str) else None


def _load(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _token_text(token: Any) -> str | None:
    if isinstance(token, dict):
        return token.get("content")
    return token if isinstance(token, str) else None


def _from_tokenizer_json(data: dict[str, Any]) -> tuple[int, dict[str, int]] | None:
    model = data.get("model") or {}
    vocab = model.get("vocab")
    ids: dict[str, int] = {}
    if isinstance(vocab, dict):
        ids.update({str(k): int(v) for k, v in vocab.items()})
    elif isinstance(vocab, list):  # Unigram: [[piece, score], ...]
        ids.update({str(item[0]): i for i, item in enumerate(vocab)})
    for added in data.get("added_tokens") or []:
        if isinstance(added, dict) and "id" in added:
            ids[str(added.get("content"))] = int(added["id"])
    if not ids:
        return None
    return max(ids.values()) + 1, ids


def lookup(name: str) -> TokenizerInfo | None:
    """Tokenizer facts for an HF repo id or local folder, or None when not available offline."""
    found = _from_tokenizer_json(_load(_cached_file(name, "tokenizer.json")))
    if found is None:
        return None
    size, ids = found
    tok_config = _load(_cached_file(name, "tokenizer_config.json"))
    eos = _token_text(tok_config.get("eos_token"))
    eod = ids.get(eos) if eos else None
    if eod is None:
        eos_id = _load(_cached_file(name, "config.json")).get("eos_token_id")
        eod = eos_id[0] if isinstance(eos_id, list) and eos_id else eos_id
    if not isinstance(eod, int):
        eod = size - 1
    return TokenizerInfo(vocab_size=size, eod=eod, source=f"{name} (HF cache, offline)")


def resolve_tokenizer(values: Mapping[str, Any], *, mock_data: bool) -> tuple[TokenizerInfo, str | None]:
    """(tokenizer facts, warning or None) for the merged config."""
    kind = values.get("tokenizer_type")
    name = values.get("tokenizer_model")
    vocab_size = values.get("vocab_size")
    if kind not in NULL_TYPES and name:
        info = lookup(str(name))
        if info is not None:
            return info, None
    if kind in NULL_TYPES or mock_data:
        if not isinstance(vocab_size, int) or vocab_size < 2:
            key = "vocab_size" if kind in NULL_TYPES or not name else "tokenizer_model"
            raise UnsupportedConfig(key, f"no tokenizer {name!r} in the HF cache and no vocab_size to fall back to")
        info = TokenizerInfo(vocab_size=vocab_size, eod=vocab_size - 1, source=f"vocab_size {vocab_size} from the config")
        warning = None if kind in NULL_TYPES else (
            f"tokenizer {name!r} is not in the HF cache ({_hub_cache()}); mock data: using vocab_size "
            f"{vocab_size} from the config"
        )
        return info, warning
    if not name:
        raise UnsupportedConfig("tokenizer_model", "is required to train on real data (or tokenizer_type: NullTokenizer)")
    raise UnsupportedConfig(
        "tokenizer_model",
        f"{name!r} is not in the HF cache ({_hub_cache()}) and the Hub is not contacted; "
        f"run `huggingface-cli download {name}` first",
    )
