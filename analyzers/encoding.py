"""Typed results as plain JSON values: the one place figures are rounded.

Analyzers keep full precision; a dataclass field declares the digits it is written with in its
type (``Annotated[float, Digits(3)]``), and :func:`plain` applies them when a result is encoded
for the data channel or stored as JSON. Non-finite floats become ``None`` (JSON has no NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, is_dataclass
from functools import cache
from typing import Any, get_type_hints


@dataclass(frozen=True)
class Digits:
    """Decimals a figure is written with (its value, and the floats inside it)."""

    n: int


@cache
def _digits(kind: type) -> dict[str, int | None]:
    hints = get_type_hints(kind, include_extras=True)
    return {
        name: next((m.n for m in getattr(hint, "__metadata__", ()) if isinstance(m, Digits)), None)
        for name, hint in hints.items()
    }


def plain(value: Any, digits: int | None = None) -> Any:
    """``value`` as JSON values: dataclasses become dicts (in field order), tuples lists, and
    floats are rounded to their field's digits (``digits`` for the top level)."""
    if is_dataclass(value) and not isinstance(value, type):
        declared = _digits(type(value))
        return {
            f.name: plain(getattr(value, f.name), declared.get(f.name) or digits)
            for f in fields(value)
        }
    if isinstance(value, dict):
        return {key: plain(item, digits) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item, digits) for item in value]
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return value if digits is None else round(value, digits)
    return value
