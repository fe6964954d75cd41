"""How the pages write figures: one percent, one number, one clock, one date, and a dash for
what the session did not produce. Registered as template filters (:mod:`.render`)."""

from __future__ import annotations

import datetime as dt

from locales import N_, _

MISSING = "\u2013"  # an en dash, for figures the session did not produce


UNITS = {
    "wpm": N_("{n} words a minute"),
    "cpm": N_("{n} characters a minute"),
    "per min": N_("{n} a minute"),
    "semitones": N_("{n} semitones"),
}
"""Each unit of a headline figure, in words."""


def percent(value: float | None) -> str:
    """0.42 → ``42 %``."""
    return MISSING if value is None else f"{round(value * 100)} %"


def number(value: float | None, unit: str = "", digits: int = 0) -> str:
    """``number(152.4, " wpm")`` → ``152 wpm``."""
    return MISSING if value is None else f"{value:.{digits}f}{unit}"


def amount(value: float | None, message: str, digits: int = 0) -> str:
    """A figure in the words of the active locale: ``amount(152.4, "{n} words a minute")`` →
    ``152 words a minute``; a dash when the session did not produce it."""
    return MISSING if value is None else _(message, n=f"{value:.{digits}f}")


def clock(seconds: float, tenths: bool = False) -> str:
    """Media time as ``m:ss`` (``m:ss.s`` with ``tenths``)."""
    minutes, rest = divmod(max(0.0, seconds), 60)
    if tenths:
        return f"{int(minutes)}:{rest:04.1f}"
    return f"{int(minutes)}:{int(rest):02d}"


def when(ts: float | None) -> str:
    """A Unix time as a UTC date and time."""
    if ts is None:
        return MISSING
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%S") + " UTC"


def figure(value: float, unit: str) -> str:
    """A headline figure of the progress comparison (``share`` as a percentage)."""
    if unit == "share":
        return percent(value)
    shown = f"{value:.1f}" if abs(value) < 10 else f"{value:.0f}"
    return _(UNITS[unit], n=shown) if unit in UNITS else f"{shown} {unit}"


def compact(value: float, unit: str) -> str:
    """A figure written above its dot on a chart whose title names the unit (``share`` keeps
    its percent sign)."""
    if unit == "share":
        return percent(value)
    return f"{value:.1f}" if abs(value) < 10 else f"{value:.0f}"


def change(value: float, unit: str, improved: bool | None, beyond_noise: bool = True) -> str:
    """A change between sessions, signed, with its verdict; "about the same" within the
    figure's noise."""
    if not beyond_noise:
        return _("about the same")
    sign = "+" if value > 0 else "-" if value < 0 else "±"
    size = (
        _("{n} points", n=f"{abs(value) * 100:.0f}")
        if unit == "share"
        else figure(abs(value), unit)
    )
    if improved is None:
        return f"{sign}{size}"
    return (_("{change} (better)") if improved else _("{change} (worse)")).format(
        change=f"{sign}{size}"
    )


FILTERS = {
    "percent": percent,
    "number": number,
    "clock": clock,
    "when": when,
    "figure": figure,
}
