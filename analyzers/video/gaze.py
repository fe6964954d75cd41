"""Gaze from the irises, combined with head pose, and whether it meets the camera.

Per eye, the iris centre is placed in the eye's own frame: along the line between its corners
(``horizontal``: -1 at the image-left corner, +1 at the image-right one) and across it, from the
lower to the upper lid (``vertical``: -1 at the lower lid, +1 at the upper). Both eyes are
averaged. The eye frame turns with the face, so roll does not move the gaze.

Offsets become eye-rotation angles with a simple eyeball model: the eyeball's radius is ~0.4 of
the corner-to-corner width of the eye opening (12 mm against ~30 mm), so an iris displaced by
``d`` eye-widths has turned by ``asin(d / 0.4)``. The gaze direction is head pose plus eye
rotation.

**Eye contact** means looking at the camera or at the screen where the interviewer is: the
gaze's yaw within ``tolerance`` degrees of the camera axis (cameras sit above the middle of the
screen), and its pitch within ``pitch_tolerance`` of the person's own **resting pitch**
(:class:`GazeReference`): where a webcam sits above, below or level with the eyes, and the mesh's
own pitch bias for this face, move everyone's "straight ahead" up or down (a man looking into
the lens read +12.5 degrees of pitch, and 0.42 eye contact against the camera axis), while
left and right stay the camera's.

**Calibration** replaces the guess: the person looks at the interviewer's picture (or the
camera) for a moment when asked, and the median gaze yaw and pitch, and head pitch, of those
frames become their own "looking at the interviewer" (:class:`GazeReference`). Head pitch is
reported against the same baseline, so 0 means "as when looking at the interviewer", not
"facing a camera on the nose".
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from analyzers.video.head_pose import HeadPose
from analyzers.video.landmarks import (
    LEFT_EYE_CORNERS,
    LEFT_EYE_LIDS,
    LEFT_IRIS,
    RIGHT_EYE_CORNERS,
    RIGHT_EYE_LIDS,
    RIGHT_IRIS,
)

EYEBALL_RADIUS = 0.4  # in eye-opening widths


@dataclass(frozen=True)
class Gaze:
    horizontal: float
    """Iris offset along the eye, -1..1, positive toward the image's right."""
    vertical: float
    """Iris offset across the eye, -1..1, positive up."""
    yaw: float
    """Gaze direction, degrees: head yaw + eye rotation, positive toward the image's right."""
    pitch: float
    """Gaze direction, degrees: head pitch + eye rotation, positive up."""
    eye_contact: bool


@dataclass(frozen=True)
class Baseline:
    """Where this person's gaze and head point when they look at the interviewer, in degrees
    (camera frame). ``source``: ``camera`` (the camera axis: nothing learnt yet), ``resting``
    (the median of their own recent frames) or ``calibrated`` (measured while they looked at
    the interviewer's picture when asked)."""

    gaze_yaw: float
    gaze_pitch: float
    head_pitch: float
    source: str

    def to_dict(self) -> dict[str, float | str]:
        return {
            "gaze_yaw": round(self.gaze_yaw, 1),
            "gaze_pitch": round(self.gaze_pitch, 1),
            "head_pitch": round(self.head_pitch, 1),
            "source": self.source,
        }


CAMERA_AXIS = Baseline(0.0, 0.0, 0.0, "camera")


def _iris_offsets(
    points: np.ndarray, corners: tuple[int, int], lids: tuple[int, int], iris: int
) -> tuple[float, float, float]:
    """(horizontal, vertical) offsets in -1..1 and the vertical offset in eye widths."""
    left, right = points[corners[0], :2], points[corners[1], :2]
    axis = right - left
    width = float(np.linalg.norm(axis))
    axis /= width
    normal = np.array([axis[1], -axis[0]])  # perpendicular, pointing up in the image
    centre = (left + right) / 2
    iris_xy = points[iris, :2]
    horizontal = float(np.dot(iris_xy - centre, axis)) / (width / 2)
    upper = float(np.dot(points[lids[0], :2] - centre, normal))
    lower = float(np.dot(points[lids[1], :2] - centre, normal))
    along = float(np.dot(iris_xy - centre, normal))
    middle, half = (upper + lower) / 2, max((upper - lower) / 2, 1e-6)
    vertical = (along - middle) / half
    return horizontal, vertical, (along - middle) / width


def estimate_gaze(
    landmarks: np.ndarray,
    pose: HeadPose,
    *,
    tolerance: float = 8.0,
    pitch_tolerance: float = 12.0,
    baseline: Baseline = CAMERA_AXIS,
) -> Gaze:
    """Gaze of one face; eye contact is judged against ``baseline``."""
    right = _iris_offsets(landmarks, RIGHT_EYE_CORNERS, RIGHT_EYE_LIDS, RIGHT_IRIS)
    left = _iris_offsets(landmarks, LEFT_EYE_CORNERS, LEFT_EYE_LIDS, LEFT_IRIS)
    horizontal = (right[0] + left[0]) / 2
    vertical = (right[1] + left[1]) / 2
    across = (right[2] + left[2]) / 2
    eye_yaw = math.degrees(math.asin(np.clip(horizontal * 0.5 / EYEBALL_RADIUS, -1, 1)))
    eye_pitch = math.degrees(math.asin(np.clip(across / EYEBALL_RADIUS, -1, 1)))
    yaw, pitch = pose.yaw + eye_yaw, pose.pitch + eye_pitch
    return Gaze(
        horizontal=float(np.clip(horizontal, -1, 1)),
        vertical=float(np.clip(vertical, -1, 1)),
        yaw=yaw,
        pitch=pitch,
        eye_contact=abs(yaw - baseline.gaze_yaw) <= tolerance
        and abs(pitch - baseline.gaze_pitch) <= pitch_tolerance,
    )


@dataclass(frozen=True)
class Calibration:
    """How a calibration ended: ``baseline`` when it took, else ``reason`` (``no_face``: too
    few frames with a face; ``too_far``: the gaze was further from the camera than an
    interviewer's picture on the screen can be; ``unsteady``: the gaze wandered)."""

    t: float
    frames: int
    baseline: Baseline | None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.baseline is not None


@dataclass(frozen=True)
class CalibrationParams:
    settle: float = 0.5
    """Seconds after the request before frames count: the eyes travel to the picture."""
    hold: float = 1.5
    """Seconds of frames that make the calibration."""
    min_frames: int = 5
    timeout: float = 4.0
    """Seconds after the request at which a calibration without enough frames fails."""
    max_offset: float = 40.0
    """Degrees from the camera axis: a picture on a screen under a webcam at arm's length is
    within about 15, and the estimator's own pitch bias for a face and a laptop's low camera
    add up to about 25 more; further, the person was looking elsewhere."""
    max_spread: float = 6.0
    """Degrees: the median distance of the frames' gaze from their median; more, and the eyes
    were moving (reading, looking around), not resting on the picture."""


class GazeReference:
    """A person's own "looking at the interviewer": calibrated when they were asked to look at
    the interviewer's picture (:meth:`calibrate`); until then, their **resting** gaze pitch
    and head pitch, the medians of the last ``window`` frames with a face once there are
    ``min_samples`` (the camera axis before), with the camera's left and right. The resting
    guess assumes what a person in an interview does: look at the interviewer's picture more
    than at anything else (a person reading notes most of the time moves it toward the
    notes)."""

    def __init__(
        self,
        window: int = 300,
        min_samples: int = 5,
        calibration: CalibrationParams | None = None,
    ) -> None:
        self._gaze_pitches: deque[float] = deque(maxlen=window)
        self._head_pitches: deque[float] = deque(maxlen=window)
        self._min_samples = min_samples
        self._params = calibration or CalibrationParams()
        self._calibrated: Baseline | None = None
        self._since: float | None = None
        self._frames: list[tuple[float, float, float]] = []

    @property
    def baseline(self) -> Baseline:
        if self._calibrated is not None:
            return self._calibrated
        if len(self._gaze_pitches) < self._min_samples:
            return CAMERA_AXIS
        return Baseline(
            0.0,
            float(np.median(self._gaze_pitches)),
            float(np.median(self._head_pitches)),
            "resting",
        )

    @property
    def calibrating(self) -> bool:
        return self._since is not None

    def calibrate(self, t: float) -> None:
        """The person is asked, at ``t``, to look at the interviewer's picture: the frames of
        the next moments make their baseline (a calibration in progress starts over)."""
        self._since, self._frames = t, []

    def add(self, t: float, gaze: Gaze | None, head_pitch: float | None) -> Calibration | None:
        """One analysed frame (``gaze`` ``None``: no face); a :class:`Calibration` when one
        ended on it."""
        if gaze is not None and head_pitch is not None:
            self._gaze_pitches.append(gaze.pitch)
            self._head_pitches.append(head_pitch)
        if self._since is None:
            return None
        p, elapsed = self._params, t - self._since
        if gaze is not None and head_pitch is not None and elapsed >= p.settle:
            self._frames.append((gaze.yaw, gaze.pitch, head_pitch))
        if elapsed >= p.settle + p.hold and len(self._frames) >= p.min_frames:
            return self._finish(t)
        if elapsed >= p.timeout:
            return self._end(Calibration(t, len(self._frames), None, "no_face"))
        return None

    def _finish(self, t: float) -> Calibration:
        frames = np.array(self._frames)
        yaw, pitch, head = (float(v) for v in np.median(frames, axis=0))
        spread = float(np.median(np.hypot(frames[:, 0] - yaw, frames[:, 1] - pitch)))
        count = len(frames)
        if spread > self._params.max_spread:
            return self._end(Calibration(t, count, None, "unsteady"))
        if math.hypot(yaw, pitch) > self._params.max_offset:
            return self._end(Calibration(t, count, None, "too_far"))
        self._calibrated = Baseline(yaw, pitch, head, "calibrated")
        return self._end(Calibration(t, count, self._calibrated))

    def _end(self, result: Calibration) -> Calibration:
        self._since, self._frames = None, []
        return result

    def reset(self) -> None:
        self._gaze_pitches.clear()
        self._head_pitches.clear()
        self._calibrated = None
        self._end(Calibration(0.0, 0, None))
