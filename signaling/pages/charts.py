"""The charts of the report as geometry (the template draws them as inline SVG): steps over
the session per timeline bin, and bars split into shares. No HTML here."""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Shape:
    points: str
    colour: str
    filled: bool


@dataclass(frozen=True)
class LegendEntry:
    x: float
    label: str
    colour: str


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
    width: int = WIDTH
    pad: int = PAD

    @property
    def minutes(self) -> float:
        return self.span / 60


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
    ``areas``); gaps where a value is missing. ``None`` without bins."""
    if not t:
        return None
    step = t[1] - t[0] if len(t) > 1 else 1.0
    span = max(t[-1] + step, 1e-9)
    top = 20
    inner_w, inner_h = WIDTH - 2 * PAD, height - 40

    def x(ts: float) -> float:
        return PAD + inner_w * ts / span

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
    legend = []
    legend_x = WIDTH - PAD
    for name in reversed(list(series)):
        label = name.replace("_", " ")
        legend_x -= 8 * len(label) + 18
        legend.append(LegendEntry(legend_x, label, COLOURS.get(name, "#333")))
    return LineChart(
        title=title,
        height=height,
        span=span,
        top=top,
        bottom=top + inner_h,
        high_y=y(high) + 4,
        low_y=y(low),
        high_label=f"{high:g}{unit}",
        low_label=f"{low:g}{unit}",
        shapes=shapes,
        legend=legend,
    )


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
        segments.append(Segment(name, share, x, inner * share, colours.get(name, "#8a94a6")))
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
) -> Trend | None:
    """A dot per session with a value (``shown`` is its value in words, for its tooltip and
    its label), ``None`` with none."""
    kept = [(i, v, labels[i], shown[i]) for i, v in enumerate(values) if v is not None]
    if not kept:
        return None
    top, bottom, inner = 34, 100, TREND_WIDTH - 2 * TREND_PAD
    last = max(1, len(values) - 1)

    def y(v: float) -> float:
        return bottom - (bottom - top) * (min(max(v, low), high) - low) / ((high - low) or 1)

    dots = [
        Dot(
            TREND_PAD + inner * (i / last if len(values) > 1 else 0.5),
            y(v),
            f"{label}: {text}",
            text,
        )
        for i, v, label, text in kept
    ]
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
