"""A person's progress as a page: each headline figure over their sessions as a trend, what it
means and its typical range, and the last session against the ones before it (a change within
the figure's noise reads "about the same"). Builds what ``templates/progress.html`` shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from analyzers.session.progress import HEADLINES, compare
from analyzers.voice.speaking_rate import pace_range
from locales import N_, _
from signaling.pages import typical
from signaling.pages.charts import Trend, trend
from signaling.pages.format import MISSING, clock, compact, figure
from signaling.pages.report import compared_rows

TEMPLATE = "progress.html"
SCALES: dict[str, tuple[float, float, str]] = {
    "eye_contact": (0.0, 1.0, typical.EYE_CONTACT),
    "face_visible": (0.0, 1.0, N_("close to 100 %: stay in the picture")),
    "speech_rate": (60.0, 220.0, typical.PACE),
    "speech_rate_zh": (75.0, 270.0, typical.PACE_MANDARIN),
    "fillers": (0.0, 12.0, N_("about 2 a minute is usual in conversation; over 6 is noticed")),
    "pitch_variation": (0.0, 6.0, typical.PITCH_VARIATION),
    "head_stability": (0.0, 1.0, N_("higher is steadier")),
    "slumped": (0.0, 1.0, N_("lower is better")),
}
"""The axis of each figure's trend, and what is typical (sources in ``docs/analyzers.md``)."""
TITLE_UNITS = {
    "wpm": N_("{figure}, words a minute"),
    "cpm": N_("{figure}, characters a minute"),
    "per min": N_("{figure}, a minute"),
    "semitones": N_("{figure}, semitones"),
}
"""The unit in a trend's title, so the values over its dots can be bare numbers."""


@dataclass(frozen=True)
class PastSession:
    when: str
    length: str
    report_url: str


@dataclass(frozen=True)
class FigureView:
    label: str
    typical: str
    chart: Trend | None


def context(progress: dict[str, Any]) -> dict[str, Any]:
    sessions = progress["sessions"]
    labels = [
        dt.datetime.fromtimestamp(s["created_at"], dt.UTC).strftime("%m-%d") for s in sessions
    ]
    views = []
    for headline in HEADLINES:
        values = [s["figures"].get(headline.name) for s in sessions]
        low, high, usual = SCALES[headline.name]
        low_pace, high_pace = pace_range(120, 165, "zh")
        usual = _(usual, low=low_pace, high=high_pace)
        label = _(headline.label)
        shown = ["" if v is None else figure(v, headline.unit) for v in values]
        written = ["" if v is None else compact(v, headline.unit) for v in values]
        title = _(TITLE_UNITS.get(headline.unit, "{figure}"), figure=label)
        chart = trend(title, values, labels, low, high, shown, written=written)
        if chart is not None:
            views.append(FigureView(label, usual, chart))
    rows = []
    if len(sessions) >= 2:
        rows = compared_rows(
            compare(sessions[-1]["figures"], [s["figures"] for s in sessions[:-1]])
        )
    past = [
        PastSession(
            dt.datetime.fromtimestamp(s["created_at"], dt.UTC).strftime("%Y-%m-%d %H:%M") + " UTC",
            MISSING if s.get("duration") is None else clock(s["duration"]),
            f"/api/sessions/{s['session_id']}/report?format=html",
        )
        for s in reversed(sessions)
    ]
    return {
        "subject": progress["subject"],
        "count": len(sessions),
        "past": past,
        "figures": views,
        "compared": rows,
        "compared_sessions": max((r["sessions"] for r in rows), default=0),
        "inline_css": None,
        "standalone": False,
    }
