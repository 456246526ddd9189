"""Bounds on every YAML input: a regular file, a size cap, and caps on aliases, nodes and depth.

Why: a 472-byte alias bomb expands exponentially in the env-substitution walk, a FIFO blocks
`read()` forever and /dev/zero never ends. Each breach is a `LimitExceeded` naming the limit;
callers add the file name and turn it into their package's one-line error.
"""

from __future__ import annotations

import sys

import os
import stat
from pathlib import Path

import yaml

MAX_FILE_BYTES = 8 * 1024 * 1024  # Primus configs are a few KiB; answers files too
MAX_ALIASES = 1_000  # `*ref` uses in one document
MAX_NODES = 200_000  # nodes after expanding every alias (what the env walk visits)
MAX_DEPTH = 64  # nested mappings / sequences


class LimitExceeded(Exception):
    """An input breaks one of the limits above; `str()` is one line without the file name."""


def read_bounded(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """UTF-8 text of a regular file of at most `limit` bytes (never blocks on a FIFO or device).

    OSError / UnicodeDecodeError pass through for the caller's own messages; IsADirectoryError
    is raised for a folder so existing messages stay.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(21, "is a directory", str(path))
        if not stat.S_ISREG(info.st_mode):
            raise LimitExceeded("not a regular file (a FIFO, device or socket is never read)")
        if info.st_size > limit:
            raise LimitExceeded(f"file is {info.st_size} bytes, over the {limit}-byte limit")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:  # grew while we read
                raise LimitExceeded(f"file is over the {limit}-byte limit")
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8")


def check_events(loader) -> None:
    """Pre-pass on the event stream (flat, no recursion): alias count and nesting depth."""
    depth = aliases = 0
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise LimitExceeded(f"nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise LimitExceeded(f"more than {MAX_ALIASES} aliases (*ref)")


def check_node(node) -> None:
    """Expanded size of the composed graph (each alias counted per use), in linear time."""
    sizes: dict[int, int] = {}

    def size(n) -> int:
        key = id(n)
        if key in sizes:
            return sizes[key]
        sizes[key] = 1  # a recursive alias counts once; PyYAML's constructor handles the cycle
        total = 1
        if isinstance(n, yaml.SequenceNode):
            total += sum(size(child) for child in n.value)
        elif isinstance(n, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in n.value)
        sizes[key] = total
        if total > MAX_NODES:
            raise LimitExceeded(f"more than {MAX_NODES} nodes once aliases are expanded")
        return total

    if node is not None:
        size(node)


def load_bounded(loader_cls, text: str, prepare=None):
    """`loader_cls(text).get_single_data()` with the limits checked before constructing.

    `prepare(loader)` runs on the constructing loader first (e.g. to attach state)."""
    pre = loader_cls(text)
    try:
        check_events(pre)
    finally:
        pre.dispose()
    loader = loader_cls(text)
    try:
        node = loader.get_single_node()
        check_node(node)
        if prepare is not None:
            prepare(loader)
        try:
            return loader.construct_document(node) if node is not None else None
        except ValueError as exc:  # int("9" * 5000): Python's int-from-string digit limit
            if "digits" not in str(exc):
                raise
            raise LimitExceeded(f"an integer with more than {sys.get_int_max_str_digits()} digits") from None
    finally:
        loader.dispose()
