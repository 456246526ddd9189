"""Package exports that load their module on first use (PEP 562).

A package `__init__` that imports all its modules makes every `from pkg.sub import x` pay for the
whole package: the app's first frame paid ~250 ms for `primus_tui.wizard` and `primus_tui.plan`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, where: Mapping[str, str]) -> tuple[list[str], Callable[[str], Any]]:
    """(`__all__`, module `__getattr__`) for `package`, exporting name -> its submodule's attribute."""

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{where[name]}"), name)

    return sorted(where), __getattr__
