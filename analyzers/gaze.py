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
(:class:`RestingGaze`): where a webcam sits above, below or level with the eyes, and the mesh's
own pitch bias for this face, move everyone's "straight ahead" up or down (a man looking into
the lens read +12.5 degrees of pitch, and 0.42 eye contact against the camera axis), while
left and right stay the camera's.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from analyzers.head_pose import HeadPose
from analyzers.landmarks import (
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
    resting_pitch: float = 0.0,
) -> Gaze:
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
        eye_contact=abs(yaw) <= tolerance and abs(pitch - resting_pitch) <= pitch_tolerance,
    )


class RestingGaze:
    """A person's own resting gaze pitch: the median gaze pitch of the last ``window`` frames
    with a face, once there are ``min_samples`` (0, the camera axis, before). It assumes what a
    person in an interview does: look at the interviewer's picture more than at anything else
    (a person reading notes most of the time moves it toward the notes)."""

    def __init__(self, window: int = 300, min_samples: int = 5) -> None:
        self._pitches: deque[float] = deque(maxlen=window)
        self._min_samples = min_samples

    @property
    def pitch(self) -> float:
        if len(self._pitches) < self._min_samples:
            return 0.0
        return float(np.median(self._pitches))

    def add(self, pitch: float) -> None:
        self._pitches.append(pitch)

    def reset(self) -> None:
        self._pitches.clear()
