"""The charts of the report as geometry (the template draws them as inline SVG): steps over
the session per timeline bin, and bars split into shares. No HTML here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from locales import N_, _
from signaling.pages.format import clock, percent

WIDTH, PAD = 760, 40
COLOURS = {
    "face_visible": "#9db4d9",
    "eye_contact": "#1f8a4c",
    "talk": "#2f6fed",
    "rms_dbfs": "#b25e09",
    "pitch_hz": "#7b3fb5",
    "yaw": "#2f6fed",
    "pitch": "#c0392b",
    "roll": "#5b6475",
    "brightness": "#d4a017",
    "face_height": "#2f6fed",
    "shoulder_tilt": "#5b6475",
}
EXPRESSION_COLOURS = {
    "happy": "#1f8a4c",
    "neutral": "#8a94a6",
    "surprise": "#2f6fed",
    "sad": "#5b6fb5",
    "angry": "#c0392b",
    "fear": "#b25e09",
    "disgust": "#7b3fb5",
}


LABELS = {
    "face_visible": N_("face in view"),
    "eye_contact": N_("eye contact"),
    "talk": N_("speaking"),
    "rms_dbfs": N_("loudness"),
    "pitch_hz": N_("voice pitch"),
    "yaw": N_("turned left or right"),
    "pitch": N_("tilted up or down"),
    "roll": N_("tilted sideways"),
    "brightness": N_("light on your face"),
    "face_height": N_("your size in the picture"),
    "shoulder_tilt": N_("shoulders off level"),
}
"""Each series in the words its legend uses."""

EXPRESSION_NAMES = {
    "angry": N_("angry"),
    "disgust": N_("disgust"),
    "fear": N_("fear"),
    "happy": N_("happy"),
    "sad": N_("sad"),
    "surprise": N_("surprise"),
    "neutral": N_("neutral"),
}
"""Each expression in words (the report's cards and its bar)."""
SEGMENT_NAMES = {"talking": N_("talking"), "silent": N_("silent"), **EXPRESSION_NAMES}
"""Each share of a bar in words."""

TICK_STEPS = (5, 10, 15, 20, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600)
"""Seconds between the marks on a time axis: the first that needs at most six of them."""


@dataclass(frozen=True)
class Shape:
    points: str
    colour: str
    filled: bool


@dataclass(frozen=True)
class LegendEntry:
    label: str
    colour: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


def time_ticks(span: float, x: Callable[[float], float]) -> list[Tick]:
    """Marks along a time axis of ``span`` seconds, as ``m:ss`` at round times."""
    step = next((s for s in TICK_STEPS if span / s <= 6), TICK_STEPS[-1])
    return [Tick(x(k * step), clock(k * step)) for k in range(int(span // step) + 1)]


@dataclass(frozen=True)
class LineChart:
    title: str
    height: int
    span: float
    top: int
    bottom: int
    high_y: float
    low_y: float
    high_label: str
    low_label: str
    shapes: list[Shape]
    legend: list[LegendEntry]
    ticks: list[Tick]
    width: int = WIDTH
    pad: int = PAD


def scale_label(value: float, unit: str) -> str:
    """A scale's end in its unit: ``share`` as a percentage, else the number and unit."""
    return percent(value) if unit == "share" else f"{value:g}{unit}"


def line_chart(
    title: str,
    t: list[float],
    series: dict[str, list[float | None]],
    low: float,
    high: float,
    unit: str,
    areas: frozenset[str] = frozenset(),
    height: int = 110,
) -> LineChart | None:
    """Steps over the session, one per timeline bin (filled for the series named in
    ``areas``); gaps where a value is missing. ``unit`` labels the scale (``share``: 0..1
    shown as a percentage). ``None`` without bins."""
    if not t:
        return None
    step = t[1] - t[0] if len(t) > 1 else 1.0
    span = max(t[-1] + step, 1e-9)
    top = 10
    inner_h = height - 42  # room below for the time axis, legible on a phone
    x = time_axis(span)

    def y(v: float) -> float:
        return top + inner_h * (1 - (min(max(v, low), high) - low) / (high - low))

    shapes = []
    for name, values in series.items():
        colour = COLOURS.get(name, "#333")
        runs: list[list[tuple[float, float]]] = [[]]
        for ts, v in zip(t, values, strict=False):
            if v is None:
                runs.append([])
            else:
                runs[-1] += [(x(ts), y(v)), (x(ts + step), y(v))]
        for run in (r for r in runs if r):
            points = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
            if name in areas:
                base = y(low)
                points = f"{run[0][0]:.1f},{base:.1f} {points} {run[-1][0]:.1f},{base:.1f}"
            shapes.append(Shape(points, colour, name in areas))
    return LineChart(
        title=title,
        height=height,
        span=span,
        top=top,
        bottom=top + inner_h,
        high_y=y(high) + 4,
        low_y=y(low) - 3,
        high_label=scale_label(high, unit),
        low_label=scale_label(low, unit),
        shapes=shapes,
        legend=[LegendEntry(_(LABELS.get(n, n)), COLOURS.get(n, "#333")) for n in series]
        if len(series) > 1
        else [],  # one series: the title names it
        ticks=time_ticks(span, x),
    )


def time_axis(span: float) -> Callable[[float], float]:
    """Where a media time falls across a timeline ``span`` seconds long."""
    inner_w = WIDTH - 2 * PAD
    return lambda ts: PAD + inner_w * ts / span


@dataclass(frozen=True)
class Mark:
    """A moment on the moments chart: where it starts, how wide it is drawn, and its words
    (with its time) for a tooltip and a screen reader."""

    t: float
    x: float
    width: float
    text: str


@dataclass(frozen=True)
class Lane:
    label: str
    y: float
    colour: str
    marks: list[Mark]


@dataclass(frozen=True)
class Moments:
    """Moments along the session, a lane each (the coach's tips, fillers, long pauses)."""

    title: str
    span: float
    lanes: list[Lane]
    ticks: list[Tick]
    height: int
    top: int
    bottom: int
    width: int = WIDTH
    pad: int = PAD


MOMENT_COLOURS = ("#c0392b", "#b25e09", "#5b6475")
LANE_HEIGHT = 40


def moments(
    title: str, span: float, lanes: dict[str, list[tuple[float, float, str]]]
) -> Moments | None:
    """One lane per kind of moment, each moment ``(start, seconds, words)``; a moment with no
    length is drawn as a short stroke. ``None`` when there is no time to draw."""
    if span <= 0:
        return None
    x = time_axis(span)
    top = 4
    drawn = []
    for i, (label, found) in enumerate(lanes.items()):
        y = top + 26 + i * LANE_HEIGHT  # the lane's name above its marks
        marks = [
            Mark(t, x(t), max(3.0, x(t + seconds) - x(t)), f"{clock(t)} {text}")
            for t, seconds, text in found
        ]
        drawn.append(Lane(f"{label} ({len(found)})", y, MOMENT_COLOURS[i % 3], marks))
    bottom = top + 26 + (len(lanes) - 1) * LANE_HEIGHT + 20
    return Moments(title, span, drawn, time_ticks(span, x), bottom + 30, top, bottom)


@dataclass(frozen=True)
class Segment:
    name: str
    share: float
    x: float
    width: float
    colour: str


@dataclass(frozen=True)
class Bar:
    title: str
    segments: list[Segment] = field(default_factory=list)
    width: int = WIDTH
    pad: int = PAD


def bar(title: str, shares: dict[str, float], colours: dict[str, str]) -> Bar:
    """One horizontal bar split into shares (0..1), with a legend."""
    inner = WIDTH - 2 * PAD
    x = float(PAD)
    segments = []
    for name, share in shares.items():
        if share <= 0:
            continue
        shown = _(SEGMENT_NAMES.get(name, name))
        segments.append(Segment(shown, share, x, inner * share, colours.get(name, "#8a94a6")))
        x += inner * share
    return Bar(title, segments)


TREND_WIDTH, TREND_PAD = 400, 30
"""A trend is narrower than a timeline: read on a phone, its labels stay legible."""


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str
    value: str
    """Written above the dot (empty: only in its tooltip, where dots are too close)."""
    anchor: str = "middle"
    """Where the written value hangs: ``start`` for the first dot and ``end`` for the last,
    so neither runs off the chart."""


LABELLED = 5
"""Sessions up to which every dot has its value written; beyond, the first, the last and the
highest and lowest (a phone has room for about five labels side by side)."""


@dataclass(frozen=True)
class Trend:
    """One figure over a person's sessions: a dot per session, joined, oldest on the left."""

    title: str
    points: str
    dots: list[Dot]
    colour: str
    high_label: str
    low_label: str
    first_label: str
    last_label: str
    height: int = 120
    width: int = TREND_WIDTH
    pad: int = TREND_PAD
    top: int = 20
    bottom: int = 100


def trend(
    title: str,
    values: list[float | None],
    labels: list[str],
    low: float,
    high: float,
    shown: list[str],
    colour: str = "#2f6fed",
    written: list[str] | None = None,
) -> Trend | None:
    """A dot per session with a value (``shown`` is its value in words, for its tooltip and
    its label), ``None`` with none."""
    above = written or shown
    kept = [(i, v, labels[i], shown[i]) for i, v in enumerate(values) if v is not None]
    if not kept:
        return None
    top, bottom, inner = 34, 100, TREND_WIDTH - 2 * TREND_PAD
    last = max(1, len(values) - 1)

    def y(v: float) -> float:
        return bottom - (bottom - top) * (min(max(v, low), high) - low) / ((high - low) or 1)

    extremes = {max(kept, key=lambda k: k[1])[0], min(kept, key=lambda k: k[1])[0]}
    ends = {kept[0][0], kept[-1][0]}
    labelled = {i for i, *_ in kept} if len(kept) <= LABELLED else ends | extremes
    dots = [
        Dot(
            TREND_PAD + inner * (i / last if len(values) > 1 else 0.5),
            y(v),
            f"{label}: {text}",
            above[i] if i in labelled else "",
            "start" if i == kept[0][0] and len(kept) > 1 else
            "end" if i == kept[-1][0] and len(kept) > 1 else "middle",
        )
        for i, v, label, text in kept
    ]  # fmt: skip
    return Trend(
        title=title,
        points=" ".join(f"{d.x:.1f},{d.y:.1f}" for d in dots),
        dots=dots,
        colour=colour,
        high_label=f"{high:g}",
        low_label=f"{low:g}",
        first_label=labels[0],
        last_label=labels[-1],
    )
