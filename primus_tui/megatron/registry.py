"""The Megatron argument registry: loaded lazily from JSON, once, and never silently replaced.

The bundled `registry.json` is derived from the Megatron-LM commit Primus pins (see
tools/megatron_registry.py). A Primus checkout pinning another commit gets its own registry,
extracted from its submodule source and cached, or a one-line error when the source is absent.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from primus_tui.config.tree import bundled_root
from primus_tui.megatron import build
from primus_tui.megatron.commits import MEGATRON_SUBMODULE, head_commit, megatron_commit
from primus_tui.megatron.errors import RegistryError

BUNDLED = Path(__file__).resolve().with_name("registry.json")
FORMAT = 1
ARGUMENTS = Path("megatron/training/arguments.py")
MLA_CLASS = "MLATransformerConfig"
BASE_CLASS = "TransformerConfig"
ARGS_READ = re.compile(r"\bargs\.(\w+)")


@dataclass(frozen=True)
class ArgSpec:
    """One argparse dest of Megatron's parser, as `add_argument` (or ArgumentGroupFactory) declares it."""

    dest: str
    flags: tuple[str, ...]
    type: str | None
    nargs: int | str | None
    default: Any
    choices: tuple[Any, ...] | None
    action: str | None
    origin: str


@dataclass(frozen=True)
class Assignment:
    """One `kw_args[name] = value` of core_transformer_config_from_args, and the branch it sits in."""

    value: str
    when: str | None


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, eq=False)
class Registry:
    """What Megatron-LM parses, what reaches the network, and what Primus reads on top."""

    megatron_lm_commit: str
    primus_commit: str
    args: Mapping[str, ArgSpec]
    transformer_config: Mapping[str, tuple[str, ...]]
    explicit: Mapping[str, tuple[Assignment, ...]]
    explicit_reads: frozenset[str]
    gpt_from_args: Mapping[str, str]
    gpt_spec_args: frozenset[str]
    gpt_fixed: Mapping[str, Any]
    primus_reads: Mapping[str, tuple[str, ...]]
    primus_model_scoped: Mapping[str, tuple[str, ...]]
    primus_declared: Mapping[str, tuple[str, ...]]
    reserved: frozenset[str]
    primus_choices: Mapping[str, tuple[Any, ...]]
    source: str
    note: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def config_fields(self, config_class: str) -> tuple[str, ...]:
        """`dataclasses.fields()` names of TransformerConfig or MLATransformerConfig."""
        try:
            return self.transformer_config[config_class]
        except KeyError:
            raise KeyError(f"no config class {config_class!r} (have {', '.join(self.transformer_config)})") from None

    def is_dest(self, key: str) -> bool:
        return key in self.args

    def network_dests(self, mla: bool) -> frozenset[str]:
        """Keys that reach the model: the config class's fields (copied off `args` when present,
        argparse dest or not), what core_transformer_config_from_args reads, and gpt_builder's reads."""
        cache_key = f"network:{mla}"
        if cache_key not in self._cache:
            fields = self.config_fields(MLA_CLASS if mla else BASE_CLASS)
            self._cache[cache_key] = frozenset(
                {*fields, *self.explicit_reads, *self.gpt_from_args.values(), *self.gpt_spec_args}
            )
        return self._cache[cache_key]

    def mla_only(self) -> frozenset[str]:
        """Fields only MLATransformerConfig has that nothing else passes on (gpt_builder hands
        `rotary_base` to GPTModel itself): dead unless multi_latent_attention."""
        if "mla_only" not in self._cache:
            extra = set(self.config_fields(MLA_CLASS)) - set(self.config_fields(BASE_CLASS))
            values = {m for a in self.explicit.values() for x in a for m in ARGS_READ.findall(x.value)}
            used = {*self.gpt_from_args.values(), *self.gpt_spec_args, *values}
            self._cache["mla_only"] = frozenset(extra - used)
        return self._cache["mla_only"]

    def choices(self, dest: str) -> tuple[Any, ...] | None:
        """A dest's argparse choices, widened by the ones Primus's parser patches add."""
        spec = self.args.get(dest)
        if spec is None or spec.choices is None:
            return None
        extra = self.primus_choices.get(dest, ())
        return spec.choices + tuple(c for c in extra if c not in spec.choices)

    def known(self) -> frozenset[str]:
        """Every key some rule knows: dests, config fields, Primus reads, reserved, declared."""
        if "known" not in self._cache:
            fields = {name for names in self.transformer_config.values() for name in names}
            self._cache["known"] = frozenset(
                {*self.args, *fields, *self.primus_reads, *self.reserved, *self.primus_declared}
            )
        return self._cache["known"]

    def suggest(self, key: str) -> str | None:
        """Did-you-mean over the dests, the config fields and the keys Primus reads."""
        if "candidates" not in self._cache:
            # Private names (`_compile_dependencies`) are Primus internals, never a YAML key to suggest.
            names = self.known() - set(self.primus_declared)
            self._cache["candidates"] = sorted(k for k in names if not k.startswith("_"))
        match = difflib.get_close_matches(key, self._cache["candidates"], n=1, cutoff=0.8)
        return match[0] if match and match[0] != key else None


def _spec(dest: str, raw: Mapping[str, Any]) -> ArgSpec:
    choices = raw.get("choices")
    return ArgSpec(
        dest=dest,
        flags=tuple(raw["flags"]),
        type=raw.get("type"),
        nargs=raw.get("nargs"),
        default=raw.get("default"),
        choices=tuple(choices) if choices is not None else None,
        action=raw.get("action"),
        origin=str(raw["origin"]),
    )


def from_document(data: Mapping[str, Any], source: str) -> Registry:
    """A Registry from a parsed registry document; KeyError/TypeError/ValueError when malformed."""
    if data.get("format") != FORMAT:
        raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
    explicit = data["transformer_config_explicit"]
    gpt = data["gpt_model"]
    primus = data["primus"]
    return Registry(
        megatron_lm_commit=str(data["megatron_lm_commit"]),
        primus_commit=str(data["primus_commit"]),
        args=_frozen({dest: _spec(dest, raw) for dest, raw in data["args"].items()}),
        transformer_config=_frozen({k: tuple(v) for k, v in data["transformer_config"].items()}),
        explicit=_frozen(
            {k: tuple(Assignment(a["value"], a.get("when")) for a in v) for k, v in explicit["kwargs"].items()}
        ),
        explicit_reads=frozenset(explicit["reads"]),
        gpt_from_args=_frozen({k: v["dest"] for k, v in gpt["from_args"].items()}),
        gpt_spec_args=frozenset(gpt["spec_args"]),
        gpt_fixed=_frozen(gpt["fixed"]),
        primus_reads=_frozen({k: tuple(v) for k, v in primus["reads"].items()}),
        primus_model_scoped=_frozen({k: tuple(v) for k, v in primus["model_scoped"].items()}),
        primus_declared=_frozen({k: tuple(v) for k, v in primus.get("declared", {}).items()}),
        reserved=frozenset(primus["reserved"]),
        primus_choices=_frozen({k: tuple(v) for k, v in primus.get("choices", {}).items()}),
        source=source,
    )


def read_registry(path: Path) -> Registry:
    """Load one registry file; a missing or malformed one is a RegistryError naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryError(
            f"{path}: Megatron registry file is missing (regenerate it with tools/megatron_registry.py)"
        ) from None
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read the Megatron registry ({exc.strerror or exc})") from None
    try:
        return from_document(json.loads(text), str(path))
    except json.JSONDecodeError as exc:
        raise RegistryError(f"{path}: Megatron registry is corrupt (line {exc.lineno}: {exc.msg})") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RegistryError(f"{path}: Megatron registry is corrupt ({type(exc).__name__}: {exc})") from None


@lru_cache(maxsize=8)
def _cached(path: Path) -> Registry:
    return read_registry(path)


def load_registry(path: Path | None = None) -> Registry:
    """The bundled registry (or `path`), read once per process."""
    return _cached((path or BUNDLED).resolve())


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "primus-tui"


def _short(sha: str) -> str:
    return f"{sha[:7]}…"


def registry_for_root(primus_root: str | Path | None) -> Registry:
    """The registry that describes a Primus checkout's Megatron-LM (the bundled one when it matches)."""
    bundled = load_registry()
    if primus_root is None:
        return bundled
    root = Path(primus_root).expanduser().resolve()
    if root == bundled_root().resolve():
        return bundled
    commit = megatron_commit(root)
    source = root / MEGATRON_SUBMODULE
    if commit is None:
        return replace(
            bundled,
            note=f"cannot tell which Megatron-LM commit {root} pins (not a git checkout); "
            f"using the bundled registry for Megatron-LM {_short(bundled.megatron_lm_commit)}",
        )
    if commit == bundled.megatron_lm_commit:
        return bundled
    if not (source / ARGUMENTS).is_file():
        raise RegistryError(
            f"registry is for Megatron-LM {_short(bundled.megatron_lm_commit)}; this checkout pins {_short(commit)}; "
            f"run git submodule update --init {MEGATRON_SUBMODULE} so primus-tui can read it"
        )
    primus = head_commit(root)
    if primus is None:
        raise RegistryError(f"{root}: cannot tell the Primus commit (not a git checkout)")
    cached = cache_dir() / f"registry-{commit}-{primus}.json"
    if cached.is_file():
        try:
            return read_registry(cached)
        except RegistryError:
            pass  # a stale or torn cache entry is rebuilt below, never trusted
    return _extract_to(cached, source, root, commit, primus)


def _extract_to(path: Path, megatron_root: Path, primus_root: Path, commit: str, primus: str) -> Registry:
    try:
        document = build.build(megatron_root, primus_root, commit, primus)
    except (OSError, ValueError, SyntaxError) as exc:
        raise RegistryError(f"{megatron_root}: cannot derive the Megatron registry ({exc})") from None
    text = build.render(document)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError:
        pass  # an unwritable cache only costs the next run another extraction
    return from_document(json.loads(text), str(path))
