"""Head pose from the face mesh's own 3D geometry, and how steady it is over time.

The face's frame is built from the landmarks, with no external 3D model:

- lateral axis **x**: the mean direction of seven mirror-symmetric landmark pairs (eye corners,
  lids, brows, mouth corners, cheeks), from the subject's right to their left;
- up axis **y**: from the mouth corners' midpoint to the eye corners' midpoint, made
  orthogonal to x;
- forward axis **z** = cross(x, y), out of the face.

Camera coordinates are x to the image's right, y up, z toward the camera. Then

- ``yaw`` = atan2(z.x, z.z): positive when the face turns toward the image's right;
- ``pitch`` = atan2(z.y, |z.xz|) + ``NEUTRAL_PITCH``: positive when the face tilts up;
- ``roll`` = atan2(x.y, x.x): positive when the face is rotated counter-clockwise in the image
  (the direction ``cv2.getRotationMatrix2D`` turns an upright face for a positive angle).

All in degrees. The eyes sit deeper than the mouth corners, so the eyes-to-mouth axis of a face
looking straight into the camera leans back; ``NEUTRAL_PITCH`` adds that lean back so that such
a face reads ~0 (measured on a frontal portrait, scikit-image's astronaut).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from analyzers.video.landmarks import (
    LEFT_EYE_CORNERS,
    MOUTH_CORNERS,
    RIGHT_EYE_CORNERS,
    SYMMETRIC_PAIRS,
)

NEUTRAL_PITCH = 9.0


@dataclass(frozen=True)
class HeadPose:
    yaw: float
    pitch: float
    roll: float

    def as_array(self) -> np.ndarray:
        return np.array([self.yaw, self.pitch, self.roll])


def head_pose(landmarks: np.ndarray) -> HeadPose:
    """Head pose of a ``(478, 3)`` landmark array in image pixels (y down, z away)."""
    points = landmarks.astype(np.float64) * np.array([1.0, -1.0, -1.0])
    pairs = np.array(SYMMETRIC_PAIRS)
    spans = points[pairs[:, 1]] - points[pairs[:, 0]]
    x_axis = (spans / np.linalg.norm(spans, axis=1, keepdims=True)).mean(axis=0)
    x_axis /= np.linalg.norm(x_axis)
    eyes = points[[*RIGHT_EYE_CORNERS, *LEFT_EYE_CORNERS]].mean(axis=0)
    mouth = points[list(MOUTH_CORNERS)].mean(axis=0)
    up = eyes - mouth
    up -= x_axis * float(np.dot(x_axis, up))
    y_axis = up / np.linalg.norm(up)
    z_axis = np.cross(x_axis, y_axis)
    yaw = math.degrees(math.atan2(z_axis[0], z_axis[2]))
    pitch = math.degrees(math.atan2(z_axis[1], math.hypot(z_axis[0], z_axis[2])))
    roll = math.degrees(math.atan2(x_axis[1], x_axis[0]))
    return HeadPose(yaw=yaw, pitch=pitch + NEUTRAL_PITCH, roll=roll)


class HeadStability:
    """How still the head is over the last ``window`` seconds, as a score in 0..1.

    ``spread`` is the root-mean-square angular distance (degrees, over yaw, pitch and roll
    together) of the poses in the window from their mean, and the score is
    ``exp(-spread / scale)``: 1 for a still head, 0.61 at 4° of spread, 0.37 at 8°, 0.14 at 16°
    (with the default ``scale`` of 8°). ``None`` until ``min_samples`` poses are in the window.
    """

    def __init__(self, *, window: float = 5.0, scale: float = 8.0, min_samples: int = 3) -> None:
        self._window = window
        self._scale = scale
        self._min_samples = min_samples
        self._poses: deque[tuple[float, np.ndarray]] = deque()

    def update(self, pose: HeadPose | None, t: float) -> float | None:
        if pose is not None:
            self._poses.append((t, pose.as_array()))
        while self._poses and self._poses[0][0] < t - self._window:
            self._poses.popleft()
        if len(self._poses) < self._min_samples:
            return None
        angles = np.array([p for _, p in self._poses])
        spread = float(np.sqrt(np.mean(np.sum((angles - angles.mean(axis=0)) ** 2, axis=1))))
        return math.exp(-spread / self._scale)

    def reset(self) -> None:
        self._poses.clear()
