"""A package's public names, imported when first used (PEP 562): each ``__init__.py`` says what
its package exports without importing every module of it up front (no cost at start, no import
cycles)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy(
    package: str, names: dict[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package``, whose public ``names``
    live in the given submodules (``{"Report": ".report"}``)."""

    def getattr_(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module, package), name)

    def dir_() -> list[str]:
        return sorted(names)

    return getattr_, dir_, sorted(names)
