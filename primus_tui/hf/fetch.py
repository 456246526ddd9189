"""Fetch a Hugging Face config.json (repo id, local model folder or file) with its commit sha.

Repo ids go through `huggingface_hub.hf_hub_download`, the path every HF tool uses (cache,
revision, token, offline mode). huggingface_hub freezes HF_HOME / HF_HUB_CACHE / HF_HUB_OFFLINE
when first imported, so they are read here at call time and passed explicitly.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from primus_tui.hf.causal import check_causal_lm
from primus_tui.hf.errors import HFError

_SHA = re.compile(r"^[0-9a-f]{40}$")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
MAX_CONFIG_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class HFConfig:
    """A parsed config.json and where it came from (repo id, revision, resolved commit sha)."""

    ref: str
    repo_id: str | None
    revision: str | None
    commit_sha: str | None
    path: Path
    data: dict = field(repr=False)

    @property
    def label(self) -> str:
        """How messages name this config: the repo id, else the file."""
        return self.repo_id or str(self.path)

    @property
    def tokenizer_ref(self) -> str:
        """What `tokenizer_model` should point at: the repo id, else the model folder."""
        return self.repo_id or str(self.path.parent)


def fetch_config(ref: str, revision: str | None = None, *, cache_only: bool = False) -> HFConfig:
    """Load config.json for a repo id, a local model directory or a config.json path.

    `cache_only` never touches the network (as with HF_HUB_OFFLINE=1).
    """
    if not isinstance(ref, str) or not ref.strip():
        raise HFError("model reference is empty: give a Hugging Face repo id, a model folder or a config.json path")
    ref = ref.strip()
    local = _local_path(ref)
    if local is not None:
        if revision:
            raise HFError(f"{ref}: --revision applies to Hugging Face repo ids, not local paths")
        return _load(ref, None, None, _sha_from_path(local), local)
    if not _REPO_ID.fullmatch(ref):
        raise HFError(f"{ref!r} is not a Hugging Face repo id (org/name), a model folder or a config.json file")
    path = _download(ref, revision, cache_only)
    sha = _sha_from_path(path) or (revision if revision and _SHA.fullmatch(revision) else None)
    return _load(ref, ref, revision or "main", sha, path)


def _local_path(ref: str) -> Path | None:
    path = Path(os.path.expanduser(ref))
    if path.is_dir():
        config = path / "config.json"
        if not config.is_file():
            raise HFError(f"{path}: folder has no config.json")
        return config
    if path.is_file():
        return path
    if ref.startswith((".", "/", "~")) or ref.endswith(".json") or os.sep in ref.strip("/").replace("/", "", 1):
        raise HFError(f"{ref}: no such file or folder")
    return None


def hub_cache_dir() -> Path:
    """The hub cache as huggingface_hub would compute it now (env read at call time)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.path.expandvars(os.path.expanduser(os.environ["HF_HUB_CACHE"])))
    if os.environ.get("HUGGINGFACE_HUB_CACHE"):
        return Path(os.path.expandvars(os.path.expanduser(os.environ["HUGGINGFACE_HUB_CACHE"])))
    return hf_home() / "hub"


def hf_home() -> Path:
    home = os.environ.get("HF_HOME") or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface")
    return Path(os.path.expandvars(os.path.expanduser(home)))


def offline() -> bool:
    value = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return value.strip().upper() in {"1", "ON", "YES", "TRUE"}


def _token() -> str | None:
    """HF_TOKEN, else the stored login under the current HF_HOME; None lets the library decide."""
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        if os.environ.get(var, "").strip():
            return os.environ[var].strip()
    token_file = Path(os.environ.get("HF_TOKEN_PATH") or hf_home() / "token")
    try:
        text = token_file.read_text().strip()
    except OSError:
        return None
    return text or None


def fetch_cached(ref: str, revision: str | None = None) -> HFConfig:
    """`fetch_config` from the local HF cache only; a miss raises HFError with `.not_cached = True`."""
    return fetch_config(ref, revision, cache_only=True)


def cached_snapshot_file(cache: Path, repo_id: str, revision: str | None, filename: str = "config.json") -> Path | None:
    """The cached file exactly as `hf_hub_download(local_files_only=True)` resolves it, or None.

    huggingface_hub's cache layout: `models--org--name/refs/<revision>` holds the commit sha,
    `snapshots/<sha>/<file>` the file. Used offline so a cached import needs no huggingface_hub
    import (~0.1 s); any miss falls through to hf_hub_download for its exact error.
    """
    repo_dir = cache / ("models--" + repo_id.replace("/", "--"))
    rev = revision or "main"
    if _SHA.fullmatch(rev):
        sha = rev
    else:
        try:
            sha = (repo_dir / "refs" / rev).read_text().strip()
        except (OSError, UnicodeDecodeError):
            return None
    path = repo_dir / "snapshots" / sha / filename
    return path if _SHA.fullmatch(sha) and path.is_file() else None


def _download(repo_id: str, revision: str | None, cache_only: bool = False) -> Path:
    cache = hub_cache_dir()
    if (cache_only or offline()) and not os.environ.get("PRIMUS_TUI_HF_NO_FASTPATH"):
        hit = cached_snapshot_file(cache, repo_id, revision)
        if hit is not None:
            return hit
    return _hub_download(repo_id, revision, cache_only)


def _hub_download(repo_id: str, revision: str | None, cache_only: bool = False, filename: str = "config.json") -> Path:
    from huggingface_hub import hf_hub_download
    from huggingface_hub import errors as hf_errors

    from huggingface_hub import constants as hf_constants

    cache = hub_cache_dir()
    is_offline = cache_only or offline()
    # huggingface_hub read HF_HUB_OFFLINE once, at import; follow the environment of this call.
    hf_constants.HF_HUB_OFFLINE = offline()
    where = f"{repo_id}" + (f"@{revision}" if revision else "")
    login = "run `hf auth login` or set HF_TOKEN"
    try:
        return Path(hf_hub_download(
            repo_id, filename, revision=revision, cache_dir=str(cache),
            local_files_only=is_offline, token=_token(), endpoint=os.environ.get("HF_ENDPOINT") or None,
        ))
    except hf_errors.GatedRepoError:
        raise HFError(f"{where}: gated repository; accept its terms on huggingface.co/{repo_id}, then {login}") from None
    except hf_errors.RevisionNotFoundError:
        raise HFError(f"{where}: revision {revision!r} not found") from None
    except hf_errors.DisabledRepoError:
        raise HFError(f"{where}: repository is disabled on the Hub") from None
    except hf_errors.RepositoryNotFoundError:
        raise HFError(f"{where}: repository not found (if it is private or gated, {login})") from None
    except (hf_errors.LocalEntryNotFoundError, hf_errors.OfflineModeIsEnabled):  # before EntryNotFoundError (a subclass)
        if cache_only:
            raise _not_cached(f"{where}: {filename} is not in the Hugging Face cache ({cache})")
        if is_offline:
            raise _not_cached(f"{where}: {filename} is not in the Hugging Face cache ({cache}) and HF_HUB_OFFLINE is set; "
                              "download it once online or unset HF_HUB_OFFLINE")
        raise _not_cached(f"{where}: cannot reach the Hugging Face Hub and {filename} is not in the cache ({cache})")
    except hf_errors.EntryNotFoundError:
        if filename != "config.json":
            raise _missing_file(f"{where}: repository has no {filename}") from None
        raise HFError(f"{where}: repository has no config.json (not a transformers model?)") from None
    except hf_errors.HFValidationError as exc:
        raise HFError(f"{where}: invalid repo id or revision ({' '.join(str(exc).split())[:160]})") from None
    except hf_errors.HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status in (401, 403):
            raise HFError(f"{where}: access denied (HTTP {status}); {login}") from None
        raise HFError(f"{where}: Hugging Face Hub error: {' '.join(str(exc).split())[:200]}") from None
    except OSError as exc:
        raise HFError(f"{where}: cannot read the Hugging Face cache ({cache}): {exc.strerror or exc}") from None


def _missing_file(message: str) -> HFError:
    exc = HFError(message)
    exc.missing_file = True
    return exc


def _not_cached(message: str) -> HFError:
    exc = HFError(message)
    exc.not_cached = True
    exc.__suppress_context__ = True
    return exc


def _sha_from_path(path: Path) -> str | None:
    """The commit sha of a file inside an HF cache snapshot (`.../snapshots/<sha>/config.json`)."""
    parts = Path(os.path.abspath(path)).parts
    for i in range(len(parts) - 2, 0, -1):
        if parts[i - 1] == "snapshots" and _SHA.fullmatch(parts[i]):
            return parts[i]
    return None


def _load(ref: str, repo_id: str | None, revision: str | None, sha: str | None, path: Path) -> HFConfig:
    label = repo_id or str(path)
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise HFError(f"{label}: config.json is larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB; not a model config")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise HFError(f"{label}: config.json is not UTF-8 text") from None
    except OSError as exc:
        raise HFError(f"{label}: cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HFError(f"{label}: malformed JSON in config.json (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise HFError(f"{label}: config.json must be a JSON object, got {type(data).__name__}")
    check_causal_lm(data, label)
    return HFConfig(ref=ref, repo_id=repo_id, revision=revision, commit_sha=sha, path=path, data=data)


def fetch_file(repo_id: str, revision: str | None, filename: str) -> Path:
    """One more file of a repo through the same cache / offline / token / revision rules as config.json.

    An absent file raises HFError with `.missing_file = True` (online) or `.not_cached = True`.
    """
    cache = hub_cache_dir()
    if offline() and not os.environ.get("PRIMUS_TUI_HF_NO_FASTPATH"):
        hit = cached_snapshot_file(cache, repo_id, revision, filename)
        if hit is not None:
            return hit
    return _hub_download(repo_id, revision, False, filename)
