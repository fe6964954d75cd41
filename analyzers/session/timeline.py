"""Timelines for the end-of-session report: every analysed frame and window, downsampled into at
most ``max_points`` bins of equal length so that a chart of an hour is as light as one of a
minute."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from analyzers.video.frame import VideoFrameResult
from analyzers.video.posture import Posture
from analyzers.voice.windows import AudioWindowResult


@dataclass(frozen=True)
class VideoPoint:
    t: float
    face: bool
    eye_contact: bool | None
    yaw: float | None
    pitch: float | None
    roll: float | None
    expression: str | None
    brightness: float | None = None
    face_height: float | None = None

    @classmethod
    def of(cls, result: VideoFrameResult) -> VideoPoint:
        pose, gaze, expression = result.head_pose, result.gaze, result.expression
        framing = result.framing
        return cls(
            result.t,
            result.face,
            None if gaze is None else gaze.eye_contact,
            None if pose is None else pose.yaw,
            None if pose is None else pose.pitch,
            None if pose is None else pose.roll,
            None if expression is None else expression.label,
            None if framing is None else framing.brightness,
            None if framing is None else framing.face_height,
        )


@dataclass(frozen=True)
class AudioPoint:
    t: float
    speech: bool
    rms_dbfs: float
    pitch_hz: float | None

    @classmethod
    def of(cls, window: AudioWindowResult) -> AudioPoint:
        return cls(window.t, window.speech, window.rms_dbfs, window.pitch_hz)


def bin_seconds(duration: float, max_points: int = 300, shortest: float = 1.0) -> float:
    """Bin length: ``shortest`` seconds, or longer so that ``duration`` fits ``max_points``."""
    return max(shortest, math.ceil(duration / max_points))


def _bins(times: Sequence[float], width: float, n: int) -> list[list[int]]:
    members: list[list[int]] = [[] for _ in range(n)]
    for i, t in enumerate(times):
        members[min(n - 1, max(0, int(t // width)))].append(i)
    return members


def _mean(values: list[float | None], digits: int) -> float | None:
    present = [v for v in values if v is not None]
    return round(float(np.mean(present)), digits) if present else None


@dataclass(frozen=True)
class VideoTimeline:
    """Per bin: share of analysed frames with a face, share of those with eye contact, mean
    head pose (degrees), the most frequent expression, mean face brightness (0..1) and face
    height (share of the frame), mean shoulder tilt (degrees) and the share of posture samples
    that were slumped; ``None`` where a bin has none. ``blinks`` is not per bin: the media time
    of every blink (the middle of the closure), so a person can find each on the recording."""

    face_visible: list[float | None]
    eye_contact: list[float | None]
    yaw: list[float | None]
    pitch: list[float | None]
    roll: list[float | None]
    expression: list[str | None]
    brightness: list[float | None] = field(default_factory=list)
    face_height: list[float | None] = field(default_factory=list)
    shoulder_tilt: list[float | None] = field(default_factory=list)
    slumped: list[float | None] = field(default_factory=list)
    blinks: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class AudioTimeline:
    """Per bin: share of windows that were speech, mean level (dBFS) and median pitch (Hz)."""

    talk: list[float | None]
    rms_dbfs: list[float | None]
    pitch_hz: list[float | None]


def video_timeline(
    points: Sequence[VideoPoint],
    width: float,
    n: int,
    postures: Sequence[Posture] = (),
    blinks: Sequence[float] = (),
) -> VideoTimeline:
    out = VideoTimeline([], [], [], [], [], [], blinks=[round(t, 2) for t in blinks])
    for members in _bins([p.t for p in points], width, n):
        frames = [points[i] for i in members]
        faces = [f for f in frames if f.face]
        contact = [f.eye_contact for f in faces if f.eye_contact is not None]
        labels = Counter(f.expression for f in faces if f.expression is not None)
        out.face_visible.append(round(len(faces) / len(frames), 3) if frames else None)
        out.eye_contact.append(round(sum(contact) / len(contact), 3) if contact else None)
        out.yaw.append(_mean([f.yaw for f in faces], 1))
        out.pitch.append(_mean([f.pitch for f in faces], 1))
        out.roll.append(_mean([f.roll for f in faces], 1))
        out.expression.append(labels.most_common(1)[0][0] if labels else None)
        out.brightness.append(_mean([f.brightness for f in faces], 3))
        out.face_height.append(_mean([f.face_height for f in faces], 3))
    for members in _bins([p.t for p in postures], width, n):
        samples = [postures[i] for i in members]
        out.shoulder_tilt.append(_mean([p.shoulder_tilt for p in samples], 1))
        judged: list[float | None] = [float(p.slumped) for p in samples if p.slumped is not None]
        out.slumped.append(_mean(judged, 3))
    return out


def audio_timeline(points: Sequence[AudioPoint], width: float, n: int) -> AudioTimeline:
    out = AudioTimeline([], [], [])
    for members in _bins([p.t for p in points], width, n):
        windows = [points[i] for i in members]
        pitches = [w.pitch_hz for w in windows if w.pitch_hz is not None]
        out.talk.append(
            round(sum(w.speech for w in windows) / len(windows), 3) if windows else None
        )
        out.rms_dbfs.append(_mean([w.rms_dbfs for w in windows], 1))
        out.pitch_hz.append(round(float(np.median(pitches)), 1) if pitches else None)
    return out
