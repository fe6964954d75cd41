"""Posture and hands from MediaPipe Pose (the legacy solution, ``model_complexity=1``, whose model
ships inside the mediapipe wheel; complexities 0 and 2 download theirs at run time and are never
used).

Pose runs in static-image mode, so one instance serves every stream (the tracking mode keeps
per-stream state), and one per process (:func:`shared_pose_model`, calls serialised): an
instance holds ~110 MB, and at a sample every 2 s per stream the calls rarely meet. Posture
changes slowly. All angles and distances are in pixels (normalised coordinates scale x and y by
different frame sides, which bends every angle on a non-square frame).

- **shoulder tilt**: the angle of the line between the shoulders, degrees (> 0: the shoulder on
  the image's right is lower);
- **lean**: the head (between the ears, or the nose) off the shoulders' midpoint, in shoulder
  widths (> 0: toward the image's right);
- **head height**: the head above the shoulder line, in shoulder widths; **slumped** when it has
  sunk by more than ``slump`` (15 %) below the person's own upright baseline (the median of the
  first minute's samples);
- **distance**: shoulder width relative to the same baseline (> 1: closer to the camera);
- **hands**: a hand point inside the face box widened by a fifth is a **hand over the face**;
  visible hands that moved more than a fifth of a shoulder width since the last sample are
  **gesturing**. Hand points come from MediaPipe Hands (palm detection and 21 landmarks a hand,
  ``model_complexity=0``, its model in the wheel too) as well as Pose's wrists and fingers: on
  real video a hand over the mouth or on the chin was found by Hands in 12 of 14 samples and by
  Pose in 2 (Pose hardly sees hands against a face), at 11.6 ms a call against Pose's 32
  (``docs/analyzers.md``, "Posture and hands").

:meth:`PoseModel.landmarks` returns the pose's 33 points followed by each found hand's 21
(visibility 1), so one array travels from the worker to :class:`PostureTracker`.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from statistics import median
from typing import Annotated, Any

import numpy as np

from analyzers.encoding import Digits

NOSE, LEFT_EAR, RIGHT_EAR, LEFT_SHOULDER, RIGHT_SHOULDER = 0, 7, 8, 11, 12
HAND_POINTS = (15, 16, 17, 18, 19, 20, 21, 22)
POSE_POINTS = 33
"""Rows of the pose; rows after them are MediaPipe Hands' landmarks."""
VISIBLE = 0.5


def _inside(point: np.ndarray, box: tuple[float, float, float, float], margin: float) -> bool:
    """Whether ``point`` lies in ``box`` (x0, y0, x1, y1) widened by ``margin`` of its size."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    return bool(x0 - dx <= point[0] <= x1 + dx and y0 - dy <= point[1] <= y1 + dy)


class PoseModel:
    """MediaPipe Pose (static images, ``model_complexity=1``) and, with ``hands``, MediaPipe
    Hands (static images, ``model_complexity=0``, two hands); calls are serialised."""

    def __init__(self, hands: bool = True) -> None:
        import mediapipe as mp

        self._pose = mp.solutions.pose.Pose(
            static_image_mode=True, model_complexity=1, enable_segmentation=False
        )
        self._hands = (
            mp.solutions.hands.Hands(static_image_mode=True, max_num_hands=2, model_complexity=0)
            if hands
            else None
        )
        self._lock = threading.Lock()

    def landmarks(self, rgb: np.ndarray) -> np.ndarray | None:
        """``(33 + 21 k, 3)``: x, y in pixels and visibility (0..1): the pose's 33 points (all
        invisible when no person was found), then the 21 of each of the ``k`` hands found;
        ``None`` when neither a person nor a hand was found."""
        with self._lock:
            found: Any = self._pose.process(rgb).pose_landmarks
            hands: Any = self._hands.process(rgb).multi_hand_landmarks or [] if self._hands else []
        if found is None and not hands:
            return None
        height, width = rgb.shape[:2]
        rows = (
            [(p.x * width, p.y * height, p.visibility) for p in found.landmark]
            if found is not None
            else [(0.0, 0.0, 0.0)] * POSE_POINTS
        )
        rows += [(p.x * width, p.y * height, 1.0) for hand in hands for p in hand.landmark]
        return np.array(rows)

    def close(self) -> None:
        with self._lock:
            self._pose.close()
            if self._hands is not None:
                self._hands.close()


_shared: dict[bool, PoseModel] = {}
_shared_lock = threading.Lock()


def shared_pose_model(hands: bool = True) -> PoseModel:
    """The process's pose model (with or without ``hands``), loaded on first use (a deployment
    that measures no posture never pays for it)."""
    with _shared_lock:
        if hands not in _shared:
            _shared[hands] = PoseModel(hands)
        return _shared[hands]


@dataclass(frozen=True)
class Posture:
    t: float
    shoulder_tilt: float
    lean: float
    head_height: float
    shoulder_width: float
    """Pixels."""
    slumped: bool | None
    """``None`` until the baseline is known."""
    distance: float | None
    """Shoulder width over the baseline's (> 1: closer); ``None`` until the baseline is known."""
    hand_over_face: bool
    gesturing: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "shoulder_tilt": round(self.shoulder_tilt, 1),
            "lean": round(self.lean, 3),
            "head_height": round(self.head_height, 3),
            "slumped": self.slumped,
            "distance": None if self.distance is None else round(self.distance, 3),
            "hand_over_face": self.hand_over_face,
            "gesturing": self.gesturing,
        }


def _visible(points: np.ndarray, *indices: int) -> bool:
    return all(points[i, 2] >= VISIBLE for i in indices)


class PostureTracker:
    """One stream's posture: the measures, its baseline and the hands' last places."""

    def __init__(self, *, baseline_seconds: float = 60.0, slump: float = 0.15) -> None:
        self.baseline_seconds = baseline_seconds
        self.slump = slump
        self.reset()

    def reset(self) -> None:
        self._first: float | None = None
        self._heights: list[float] = []
        self._widths: list[float] = []
        self._baseline: tuple[float, float] | None = None
        self._hands: np.ndarray | None = None

    def update(
        self,
        t: float,
        points: np.ndarray | None,
        face_box: tuple[float, float, float, float] | None,
    ) -> Posture | None:
        """``points`` from :class:`PoseModel`; ``face_box`` (x0, y0, x1, y1) from the face mesh.
        ``None`` when the shoulders are not both in view."""
        if points is None or not _visible(points, LEFT_SHOULDER, RIGHT_SHOULDER):
            self._hands = None
            return None
        if face_box is not None and not _inside(points[NOSE, :2], face_box, 0.5):
            # Pose found a body whose nose is not where the person's face was: someone (or
            # something) else, and no posture of theirs.
            self._hands = None
            return None
        left, right = points[LEFT_SHOULDER, :2], points[RIGHT_SHOULDER, :2]
        width = float(np.hypot(*(left - right)))
        if width < 1.0:
            return None
        middle = (left + right) / 2
        if _visible(points, LEFT_EAR, RIGHT_EAR):
            head = (points[LEFT_EAR, :2] + points[RIGHT_EAR, :2]) / 2
        else:
            head = points[NOSE, :2]
        tilt = math.degrees(math.atan2(left[1] - right[1], left[0] - right[0]))
        if tilt > 90:
            tilt -= 180
        elif tilt < -90:
            tilt += 180
        height = float((middle[1] - head[1]) / width)
        baseline = self._learn(t, height, width)
        pose_hands = np.array([points[i, :2] for i in HAND_POINTS if points[i, 2] >= VISIBLE])
        hands = [*pose_hands, *points[POSE_POINTS:, :2]]  # and every point MediaPipe Hands found
        over_face = face_box is not None and any(_inside(p, face_box, 0.2) for p in hands)
        gesturing = False
        # Gesturing compares Pose's own hand points (Hands' count and order vary).
        previous = self._hands
        if pose_hands.size and previous is not None and previous.shape == pose_hands.shape:
            gesturing = bool(np.max(np.hypot(*(pose_hands - previous).T)) > width / 5)
        self._hands = pose_hands if pose_hands.size else None
        return Posture(
            t=t,
            shoulder_tilt=tilt,
            lean=float((head[0] - middle[0]) / width),
            head_height=height,
            shoulder_width=width,
            slumped=None if baseline is None else height < baseline[0] * (1 - self.slump),
            distance=None if baseline is None else width / baseline[1],
            hand_over_face=over_face,
            gesturing=gesturing,
        )

    def _learn(self, t: float, height: float, width: float) -> tuple[float, float] | None:
        """The upright baseline: medians of the first ``baseline_seconds`` of samples (at least
        three); known from the first sample after that."""
        if self._first is None:
            self._first = t
        if self._baseline is None:
            if t - self._first < self.baseline_seconds or len(self._heights) < 3:
                self._heights.append(height)
                self._widths.append(width)
                return None
            self._baseline = (median(self._heights), median(self._widths))
        return self._baseline


@dataclass(frozen=True)
class PostureSummary:
    samples: int
    shoulder_tilt: Annotated[float, Digits(1)]
    """Mean degrees the shoulder line tilts."""
    lean: Annotated[float, Digits(3)]
    slumped_ratio: Annotated[float | None, Digits(3)]
    """Share of the samples with a baseline in which the person slumped."""
    hand_over_face_ratio: Annotated[float, Digits(3)]
    hand_over_face_episodes: int = 0
    gesturing_per_min: Annotated[float | None, Digits(2)] = None


def posture_summary(samples: list[Posture], span: float) -> PostureSummary | None:
    """Over ``samples`` taken during ``span`` seconds: means, the share of time slumped (among
    samples with a baseline), hand-over-face samples and episodes, gesturing samples per
    minute."""
    if not samples:
        return None
    judged = [p.slumped for p in samples if p.slumped is not None]
    episodes = sum(
        1
        for i, p in enumerate(samples)
        if p.hand_over_face and (i == 0 or not samples[i - 1].hand_over_face)
    )
    minutes = span / 60
    return PostureSummary(
        samples=len(samples),
        shoulder_tilt=float(np.mean([p.shoulder_tilt for p in samples])),
        lean=float(np.mean([p.lean for p in samples])),
        slumped_ratio=sum(judged) / len(judged) if judged else None,
        hand_over_face_ratio=sum(p.hand_over_face for p in samples) / len(samples),
        hand_over_face_episodes=episodes,
        gesturing_per_min=sum(p.gesturing for p in samples) / minutes if minutes > 0 else None,
    )
