"""Summary of the video analysis over the last ``window`` seconds of media, or over the whole
session with ``window=None`` (the end-of-session report uses the same definitions)."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass
from typing import Annotated

from analyzers.encoding import Digits
from analyzers.video.expression import EXPRESSIONS
from analyzers.video.framing import ISSUES, Framing
from analyzers.video.posture import Posture, PostureSummary, posture_summary


@dataclass(frozen=True)
class FrameFacts:
    t: float
    face: bool
    eye_contact: bool | None
    expression: str | None
    framing: Framing | None = None


@dataclass(frozen=True)
class FramingSummary:
    issues: Annotated[dict[str, float], Digits(3)]
    """Share of frames showing each framing or lighting issue (``no_face`` among all frames,
    the rest among frames with a face)."""
    brightness: Annotated[float | None, Digits(3)]
    """Mean face brightness (0-1)."""
    background: Annotated[float | None, Digits(3)]
    face_height: Annotated[float | None, Digits(3)]
    """Mean face height as a share of the frame's."""


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
    framing: FramingSummary | None = None
    posture: PostureSummary | None = None
    """Posture over the samples taken (``analyzers/video/posture.py``, :func:`posture_summary`)."""
    blinks_not_measured: str | None = None
    """Why there is no blink rate (``analyzers/video/blinks.py``, ``NOT_MEASURED``)."""


class VideoSummaryTracker:
    def __init__(self, *, window: float | None = 30.0) -> None:
        self._window = window
        self._frames: deque[FrameFacts] = deque()
        self._postures: deque[Posture] = deque()
        """Posture samples come on their own, fewer and a little later than the frames."""

    def add(self, facts: FrameFacts) -> None:
        self._frames.append(facts)
        self._trim(facts.t)

    def add_posture(self, posture: Posture) -> None:
        self._postures.append(posture)
        self._trim(posture.t)

    def _trim(self, t: float) -> None:
        if self._window is None:
            return
        for samples in (self._frames, self._postures):
            while samples and samples[0].t < t - self._window:
                samples.popleft()

    def summary(
        self,
        *,
        head_stability: float | None,
        blinks_per_min: float | None,
        blinks_not_measured: str | None = None,
    ) -> VideoSummary:
        frames = list(self._frames)
        span = frames[-1].t - frames[0].t if frames else 0.0
        with_face = [f for f in frames if f.face]
        contact = [f.eye_contact for f in with_face if f.eye_contact is not None]
        labels = Counter(f.expression for f in with_face if f.expression is not None)
        total = sum(labels.values())
        distribution = {label: labels[label] / total for label in EXPRESSIONS} if total else None
        return VideoSummary(
            framing=framing_summary(frames),
            posture=posture_summary(list(self._postures), span),
            window=span,
            face_visible_ratio=len(with_face) / len(frames) if frames else None,
            eye_contact_ratio=sum(contact) / len(contact) if contact else None,
            head_stability=head_stability,
            blinks_per_min=blinks_per_min,
            blinks_not_measured=blinks_not_measured,
            expression_distribution=distribution,
            dominant_expression=labels.most_common(1)[0][0] if total else None,
        )

    def reset(self) -> None:
        self._frames.clear()
        self._postures.clear()


def framing_summary(frames: list[FrameFacts]) -> FramingSummary | None:
    if not frames:
        return None
    measured_frames = [f.framing for f in frames if f.framing is not None]
    issues = {"no_face": sum(1 for f in frames if not f.face) / len(frames)}
    for code in ISSUES[1:]:
        hits = sum(1 for m in measured_frames if code in m.issues)
        issues[code] = hits / len(measured_frames) if measured_frames else 0.0

    def mean(values: list[float]) -> float | None:
        return float(sum(values) / len(values)) if values else None

    return FramingSummary(
        issues=issues,
        brightness=mean([m.brightness for m in measured_frames]),
        background=mean([m.background for m in measured_frames if m.background is not None]),
        face_height=mean([m.face_height for m in measured_frames]),
    )
