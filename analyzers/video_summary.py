"""Summary of the video analysis over the last ``window`` seconds of media, or over the whole
session with ``window=None`` (the end-of-session report uses the same definitions)."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

from analyzers.expression import EXPRESSIONS


@dataclass(frozen=True)
class FrameFacts:
    t: float
    face: bool
    eye_contact: bool | None
    expression: str | None


@dataclass(frozen=True)
class VideoSummary:
    window: float
    """Seconds of media the summary covers (at most the configured window)."""
    face_visible_ratio: float | None
    eye_contact_ratio: float | None
    """Share of analysed frames with a face in which the gaze met the camera."""
    head_stability: float | None
    blinks_per_min: float | None
    expression_distribution: dict[str, float] | None
    """Share of analysed frames with a face showing each (smoothed) expression."""
    dominant_expression: str | None


class VideoSummaryTracker:
    def __init__(self, *, window: float | None = 30.0) -> None:
        self._window = window
        self._frames: deque[FrameFacts] = deque()

    def add(self, facts: FrameFacts) -> None:
        self._frames.append(facts)
        if self._window is None:
            return
        while self._frames and self._frames[0].t < facts.t - self._window:
            self._frames.popleft()

    def summary(
        self, *, head_stability: float | None, blinks_per_min: float | None
    ) -> VideoSummary:
        frames = list(self._frames)
        span = frames[-1].t - frames[0].t if frames else 0.0
        with_face = [f for f in frames if f.face]
        contact = [f.eye_contact for f in with_face if f.eye_contact is not None]
        labels = Counter(f.expression for f in with_face if f.expression is not None)
        total = sum(labels.values())
        distribution = (
            {label: round(labels[label] / total, 3) for label in EXPRESSIONS} if total else None
        )
        return VideoSummary(
            window=round(span, 3),
            face_visible_ratio=round(len(with_face) / len(frames), 3) if frames else None,
            eye_contact_ratio=round(sum(contact) / len(contact), 3) if contact else None,
            head_stability=None if head_stability is None else round(head_stability, 3),
            blinks_per_min=None if blinks_per_min is None else round(blinks_per_min, 1),
            expression_distribution=distribution,
            dominant_expression=labels.most_common(1)[0][0] if total else None,
        )

    def reset(self) -> None:
        self._frames.clear()
