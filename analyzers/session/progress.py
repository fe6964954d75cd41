"""A person's progress across sessions: the headline figures of each report, and how one session
compares with the ones before it.

The figures are read from the report's whole-session summary (:class:`SummaryFields`), so every
path that makes a report (live, recorded files) feeds progress alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from statistics import mean
from typing import Any, Literal

from analyzers.session.summary import SummaryFields
from analyzers.voice.speaking_rate import PACE_SCALE
from analyzers.words.language import language_family
from locales import N_

Better = Literal["higher", "lower", "band"]


@dataclass(frozen=True)
class Headline:
    name: str
    label: str
    figure: Callable[[SummaryFields], float | None]
    """The figure in the report's summary."""
    better: Better
    """Which way is an improvement (``band``: closer to a range, neither way in general)."""
    unit: str
    noise: float
    """A change smaller than this is "about the same": what the figure moves between two
    sessions of a person who did not change (``docs/analyzers.md``, "Progress")."""
    languages: frozenset[str] = frozenset({"en", "zh"})
    """The spoken languages whose sessions have the figure: pace is words a minute in English
    and characters a minute in Mandarin, two figures that never share a chart."""


HEADLINES: tuple[Headline, ...] = (
    Headline(
        "eye_contact", N_("Eye contact"), lambda s: s.eye_contact_ratio, "higher", "share", 0.05
    ),
    Headline(
        "face_visible", N_("Face in view"), lambda s: s.face_visible_ratio, "higher", "share", 0.05
    ),
    Headline(
        "speech_rate",
        N_("Speech rate"),
        lambda s: s.speaking_rate.wpm if s.speaking_rate else None,
        "band",
        "wpm",
        15.0,
        frozenset({"en"}),
    ),
    Headline(
        "speech_rate_zh",
        N_("Speech rate in Chinese"),
        lambda s: s.speaking_rate.wpm if s.speaking_rate else None,
        "band",
        "cpm",
        round(15.0 * PACE_SCALE["zh"]),
        frozenset({"zh"}),
    ),
    Headline(
        "fillers",
        N_("Filler words (um, uh)"),
        lambda s: s.language.fillers_per_min if s.language else None,
        "lower",
        "per min",
        3.0,
    ),
    Headline(
        "pitch_variation",
        N_("Pitch variation"),
        lambda s: s.pitch.std_semitones if s.pitch else None,
        "higher",
        "semitones",
        0.8,
    ),
    Headline(
        "head_stability", N_("Head stability"), lambda s: s.head_stability, "higher", "share", 0.03
    ),
    Headline(
        "slumped",
        N_("Time slumped"),
        lambda s: s.posture.slumped_ratio if s.posture else None,
        "lower",
        "share",
        0.4,
    ),
)
RECENT = 5
"""How many earlier sessions a report is compared with."""


def headline_figures(
    summary: SummaryFields, language: str | None = None
) -> dict[str, float | None]:
    """The headline figures of one report's summary (``None`` where it has none, or where the
    figure is not of the session's spoken ``language``)."""
    figures: dict[str, float | None] = {}
    family = language_family(language or "en")
    for headline in HEADLINES:
        value = headline.figure(summary) if family in headline.languages else None
        figures[headline.name] = None if value is None else float(value)
    return figures


def compare(
    current: dict[str, float | None], earlier: Sequence[dict[str, float | None]]
) -> list[dict[str, Any]]:
    """Each headline figure of ``current`` beside the mean of the same figure over ``earlier``
    sessions (the last :data:`RECENT` that had it), with the change and whether it is better:
    ``None`` (neither) when the change is within the figure's noise, or for a figure that is
    better in a band."""
    rows = []
    for headline in HEADLINES:
        now = current.get(headline.name)
        before = [f[headline.name] for f in earlier if f.get(headline.name) is not None]
        before = before[-RECENT:]
        if now is None or not before:
            continue
        usual = mean(v for v in before if v is not None)
        change = now - usual
        improved = None
        beyond = abs(change) >= headline.noise
        if headline.better != "band" and beyond:
            improved = (change > 0) == (headline.better == "higher")
        rows.append(
            {
                "name": headline.name,
                "label": headline.label,
                "unit": headline.unit,
                "value": round(now, 3),
                "earlier": round(usual, 3),
                "sessions": len(before),
                "change": round(change, 3),
                "beyond_noise": beyond,
                "noise": headline.noise,
                "improved": improved,
            }
        )
    return rows
