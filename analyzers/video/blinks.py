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


class BlinkDetector:
    def __init__(
        self,
        *,
        closed_ratio: float = 0.6,
        open_ratio: float = 0.8,
        max_blink: float = 0.5,
        rate_window: float = 60.0,
        min_rate_seconds: float = 10.0,
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
        self._watched: deque[tuple[float, float]] = deque()  # (t, seconds of eyes in view)
        self.total_blinks = 0
        self.total_watched = 0.0

    def update(self, signal: str, value: float | None, t: float) -> Blink | None:
        """Feed one openness sample (``signal`` is ``"ear"`` or ``"probe"``); returns the blink
        that this sample completes, if any. ``value=None`` means the eyes are not in view."""
        if value is None:
            self._closed_since = dict.fromkeys(self._closed_since)
            self._last_t = None
            return None
        if self._last_t is not None and 0 < t - self._last_t < 1.0:
            self._watched.append((t, t - self._last_t))
            self.total_watched += t - self._last_t
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
        seen = sum(dt for _, dt in self._watched)
        if seen < self._min_rate_seconds:
            return None
        return len(self._blinks) * 60.0 / seen

    def session_blinks_per_min(self) -> float | None:
        """Blinks per minute of eyes in view over the whole session."""
        if self.total_watched < self._min_rate_seconds:
            return None
        return self.total_blinks * 60.0 / self.total_watched

    def reset(self) -> None:
        self.total_blinks = 0
        self.total_watched = 0.0
        for baseline in self._baselines.values():
            baseline.reset()
        self._closed_since = dict.fromkeys(self._closed_since)
        self._last_blink_end = -np.inf
        self._last_t = None
        self._blinks.clear()
        self._watched.clear()
