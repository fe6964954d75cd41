"""Blinks: eye openness per sample, blink events, and the blink rate.

Two openness signals feed one detector, each divided by its own open-eye baseline (the median
of its recent samples: eyes are open over 90 % of the time):

- on fully analysed frames, the **eye aspect ratio** (EAR) of the mesh's eye landmarks,
  averaged over both eyes (Soukupová & Čech 2016);
- between them, a cheap **eye probe** on the luma plane: the share of dark pixels (darker than
  0.6x the median of the box) in the two eye boxes of the last full analysis. An open eye shows
  a dark iris and pupil; a closed lid is skin. It costs a fraction of a millisecond, so it can
  run on every frame between full analyses, at the rate blinks need.

A blink is a closure that **one signal sees begin and end**: that signal falls below
``closed_ratio`` of its baseline and comes back above ``open_ratio`` within ``max_blink``
seconds. The thresholds follow Soukupová & Čech's EAR of 0.2 for shut against ~0.3 open (two
thirds); reopening must be clearer than closing (hysteresis), so a lid hovering near the
threshold does not count twice. Each signal keeps its own closure: looking down lowers the
lids (the mesh's EAR falls as low as in a blink) while iris and lashes keep the probe's dark
share, and when one signal said "shut" and the other "open" in turn, every full analysis made a
blink. A look down is a long closure of one signal and is not a blink. Two signals seeing the
same closure make one blink. Its ``duration`` runs from the first closed sample to the first open
one of that signal, so it is quantised to the sampling interval.

**Measured, or honestly not** (:class:`BlinkGate`). Blinks are counted only in stretches where
these signals can see them, judged over the last ``window`` seconds:

- ``face_too_small``: the eye (corner to corner, in the analysed picture) narrower than
  ``min_eye_width`` pixels. A lid then travels 2-3 pixels; on franck scaled down, precision
  and recall hold at 91 % down to 8.3 px and precision falls to 67 % at 6 px
  (``python -m bench.blinks_real --scales``).
- ``eyes_lowered``: the eyes open (EAR above 0.7 of its 90th percentile) in less than
  ``min_open_share`` of the samples. The open-eye baseline needs open eyes most of the time; a
  person looking down for seconds on end gives none, and a look down reads as a closure.
- ``eyes_unsteady``: the probe's sample-to-sample change on open eyes above
  ``max_probe_noise`` (a sixth of the 40 % drop a closure needs): noise, not lids.

Time in such a stretch is not watched time: it counts towards the reason it was not measured,
and a blink that ends in it is not counted.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from analyzers.video.landmarks import (
    LEFT_EYE_EAR,
    LEFT_EYE_OUTLINE,
    RIGHT_EYE_EAR,
    RIGHT_EYE_OUTLINE,
)


@dataclass(frozen=True)
class EyeOpenness:
    ear_right: float
    ear_left: float

    @property
    def ear(self) -> float:
        return (self.ear_right + self.ear_left) / 2


@dataclass(frozen=True)
class Blink:
    t: float
    """Media time the eyes were first seen closed."""
    duration: float


def _ear(points: np.ndarray, idx: tuple[int, ...]) -> float:
    p = points[list(idx), :2]
    vertical = np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])
    return float(vertical / (2 * np.linalg.norm(p[0] - p[3])))


def eye_openness(landmarks: np.ndarray) -> EyeOpenness:
    return EyeOpenness(_ear(landmarks, RIGHT_EYE_EAR), _ear(landmarks, LEFT_EYE_EAR))


def eye_width(landmarks: np.ndarray) -> float:
    """The eyes' width, corner to corner, in pixels (the mean of both)."""
    widths = [
        float(np.linalg.norm(landmarks[idx[0], :2] - landmarks[idx[3], :2]))
        for idx in (RIGHT_EYE_EAR, LEFT_EYE_EAR)
    ]
    return sum(widths) / 2


def eye_boxes(landmarks: np.ndarray, pad: float = 0.2) -> tuple[tuple[int, int, int, int], ...]:
    """Both eye openings' boxes ``(x0, y0, x1, y1)`` in pixels, padded by ``pad`` of their
    width so the eyes stay inside while the head moves a little between full analyses."""
    boxes = []
    for outline in (RIGHT_EYE_OUTLINE, LEFT_EYE_OUTLINE):
        xy = landmarks[list(outline), :2]
        (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
        margin = (x1 - x0) * pad
        boxes.append(
            (int(x0 - margin), int(y0 - margin), int(x1 + margin) + 1, int(y1 + margin) + 1)
        )
    return tuple(boxes)


def eye_probe(luma: np.ndarray, boxes: tuple[tuple[int, int, int, int], ...]) -> float | None:
    """Share of dark pixels (iris, pupil) in the eye boxes, 0..1; ``None`` if a box has left
    the frame."""
    height, width = luma.shape[:2]
    shares = []
    for x0, y0, x1, y1 in boxes:
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
        if x1 - x0 < 3 or y1 - y0 < 3:
            return None
        patch = luma[y0:y1, x0:x1]
        shares.append(float(np.mean(patch < 0.6 * np.median(patch))))
    return float(np.mean(shares))


class _Baseline:
    """The open-eye level of one signal: the median of its last ``size`` samples."""

    def __init__(self, size: int = 40, min_samples: int = 5) -> None:
        self._values: deque[float] = deque(maxlen=size)
        self._min_samples = min_samples

    def ratio(self, value: float) -> float | None:
        self._values.append(value)
        if len(self._values) < self._min_samples:
            return None
        baseline = float(np.median(self._values))
        return value / baseline if baseline > 0 else None

    def reset(self) -> None:
        self._values.clear()


NOT_MEASURED = ("face_too_small", "eyes_lowered", "eyes_unsteady", "too_short")
"""Why a blink rate was not measured, most telling first (``too_short``: the eyes were in view
for less than the rate needs)."""


@dataclass(frozen=True)
class BlinkGate:
    """When blinks can be counted (module docstring)."""

    min_eye_width: float = 10.0
    min_open_share: float = 0.75
    max_probe_noise: float = 0.065
    window: float = 20.0
    min_samples: int = 10
    """Samples of the eye signal in the window before the gate judges (until then: counted)."""
    every: float = 1.0
    """Seconds between judgements."""


class _Quality:
    """The gate's view of the last seconds: eye widths, EAR and probe samples."""

    def __init__(self, gate: BlinkGate) -> None:
        self._gate = gate
        self._ear: deque[tuple[float, float, float | None]] = deque()  # (t, ear, eye width)
        self._probe: deque[tuple[float, float]] = deque()
        self._judged_at = -np.inf
        self.reason: str | None = None

    def add(self, signal: str, value: float, t: float, eye_width: float | None) -> None:
        if signal == "ear":
            self._ear.append((t, value, eye_width))
        elif signal == "probe":
            self._probe.append((t, value))
        if t - self._judged_at >= self._gate.every or t < self._judged_at:
            self._judged_at = t
            self.reason = self._judge(t)

    def _judge(self, t: float) -> str | None:
        gate = self._gate
        for samples in (self._ear, self._probe):
            while samples and samples[0][0] < t - gate.window:
                samples.popleft()
        if len(self._ear) >= gate.min_samples:
            ear = np.array([e for _, e, _ in self._ear])
            widths = [w for _, _, w in self._ear if w is not None]
            if widths and float(np.median(widths)) < gate.min_eye_width:
                return "face_too_small"
            if float(np.mean(ear > 0.7 * np.percentile(ear, 90))) < gate.min_open_share:
                return "eyes_lowered"
        if len(self._probe) >= gate.min_samples:
            probe = np.array([v for _, v in self._probe])
            ratio = probe / max(float(np.percentile(probe, 90)), 1e-6)
            open_eyes = ratio[ratio > 0.7]
            if len(open_eyes) > 2 and float(np.median(np.abs(np.diff(open_eyes)))) > (
                gate.max_probe_noise
            ):
                return "eyes_unsteady"
        return None

    def reset(self) -> None:
        self._ear.clear()
        self._probe.clear()
        self._judged_at = -np.inf
        self.reason = None


class BlinkDetector:
    def __init__(
        self,
        *,
        closed_ratio: float = 0.6,
        open_ratio: float = 0.8,
        max_blink: float = 0.5,
        rate_window: float = 60.0,
        min_rate_seconds: float = 10.0,
        gate: BlinkGate | None = None,
    ) -> None:
        self._closed_ratio = closed_ratio
        self._open_ratio = open_ratio
        self._max_blink = max_blink
        self._rate_window = rate_window
        self._min_rate_seconds = min_rate_seconds
        self._baselines = {"ear": _Baseline(), "probe": _Baseline()}
        self._closed_since: dict[str, float | None] = {"ear": None, "probe": None}
        self._last_blink_end = -np.inf
        self._last_t: float | None = None
        self._blinks: deque[float] = deque()
        self._quality = _Quality(gate or BlinkGate())
        # (t, seconds of eyes in view, why they were not measured or None)
        self._watched: deque[tuple[float, float, str | None]] = deque()
        self.total_blinks = 0
        self.total_watched = 0.0
        self.unmeasured: dict[str, float] = dict.fromkeys(NOT_MEASURED[:-1], 0.0)
        """Seconds of eyes in view that were not measured, by reason."""

    def update(
        self, signal: str, value: float | None, t: float, eye_width: float | None = None
    ) -> Blink | None:
        """Feed one openness sample (``signal`` is ``"ear"`` or ``"probe"``, ``eye_width`` the
        eye's width in pixels with an EAR); returns the blink that this sample completes, if any
        and if blinks can be counted here. ``value=None`` means the eyes are not in view."""
        if value is None:
            self._closed_since = dict.fromkeys(self._closed_since)
            self._last_t = None
            return None
        self._quality.add(signal, value, t, eye_width)
        reason = self._quality.reason
        if self._last_t is not None and 0 < t - self._last_t < 1.0:
            self._watched.append((t, t - self._last_t, reason))
            if reason is None:
                self.total_watched += t - self._last_t
            else:
                self.unmeasured[reason] += t - self._last_t
        self._last_t = t
        ratio = self._baselines[signal].ratio(value)
        if ratio is None:
            return None
        started = self._closed_since[signal]
        if started is None:
            if ratio < self._closed_ratio:
                self._closed_since[signal] = t
            return None
        if ratio < self._open_ratio:
            return None  # still shut, or not clearly open again
        self._closed_since[signal] = None
        duration = t - started
        if duration > self._max_blink:
            return None  # a look down, or eyes closed on purpose
        if started <= self._last_blink_end:
            self._last_blink_end = max(self._last_blink_end, t)
            return None  # the other signal's view of the same closure
        self._last_blink_end = t
        if reason is not None:
            return None  # seen, but where blinks cannot be told from what is not one
        self._blinks.append(t)
        self.total_blinks += 1
        return Blink(t=started, duration=duration)

    def blinks_per_min(self, t: float) -> float | None:
        """Blinks per minute of eyes in view over the last ``rate_window`` seconds; ``None``
        until the eyes have been in view ``min_rate_seconds``."""
        while self._blinks and self._blinks[0] < t - self._rate_window:
            self._blinks.popleft()
        while self._watched and self._watched[0][0] < t - self._rate_window:
            self._watched.popleft()
        seen = self._watched_seconds()
        if seen < self._min_rate_seconds:
            return None
        return len(self._blinks) * 60.0 / seen

    def not_measured(self) -> str | None:
        """Why :meth:`blinks_per_min` has no rate now (one of :data:`NOT_MEASURED`), or
        ``None`` when it has one."""
        unmeasured: dict[str, float] = dict.fromkeys(NOT_MEASURED[:-1], 0.0)
        for _, dt, reason in self._watched:
            if reason is not None:
                unmeasured[reason] += dt
        return self._why(self._watched_seconds(), unmeasured)

    def session_blinks_per_min(self) -> float | None:
        """Blinks per minute of eyes in view, where they could be counted, over the session."""
        if self.total_watched < self._min_rate_seconds:
            return None
        return self.total_blinks * 60.0 / self.total_watched

    def session_not_measured(self) -> str | None:
        """Why :meth:`session_blinks_per_min` has no rate, or ``None``."""
        return self._why(self.total_watched, self.unmeasured)

    def _watched_seconds(self) -> float:
        return sum(dt for _, dt, reason in self._watched if reason is None)

    def _why(self, measured: float, unmeasured: dict[str, float]) -> str | None:
        if measured >= self._min_rate_seconds:
            return None
        reason, seconds = max(unmeasured.items(), key=lambda kv: kv[1])
        return reason if seconds > 0 else "too_short"

    def reset(self) -> None:
        self.total_blinks = 0
        self.total_watched = 0.0
        self.unmeasured = dict.fromkeys(NOT_MEASURED[:-1], 0.0)
        self._quality.reset()
        for baseline in self._baselines.values():
            baseline.reset()
        self._closed_since = dict.fromkeys(self._closed_since)
        self._last_blink_end = -np.inf
        self._last_t = None
        self._blinks.clear()
        self._watched.clear()
