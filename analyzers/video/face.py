"""Face presence and landmarks: MediaPipe's full-range detector finds faces, the face mesh
(``refine_landmarks=True``, 478 points with irises) runs on an aligned crop of the largest.

Why detector-first: the face mesh's built-in detector is the short-range BlazeFace model and
misses faces smaller than ~60 px or far from the centre of a 640x480 frame (measured on
scikit-image's astronaut photo, see ``docs/analyzers.md``). The full-range detector finds them
down to ~45 px on the whole frame; a second pass over four overlapping, zoomed tiles finds them
down to ~27 px. The mesh then sees an upright, well-framed face, whatever the framing of the
camera.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np
from mediapipe.python.solutions import face_detection as mp_face_detection
from mediapipe.python.solutions import face_mesh as mp_face_mesh

from analyzers.video.landmarks import LEFT_EYE_OUTLINE, RIGHT_EYE_OUTLINE

MESH_POINTS = 478
_CROP_SIZE = 256
# The mesh wants the face to fill about half of its input, as its own detector frames it.
_CROP_EXPAND = 2.0
# Two boxes overlapping more than this are one face seen twice (tiles overlap).
_NMS_IOU = 0.3


@dataclass(frozen=True)
class FaceBox:
    """A detected face in frame pixels, with the two eye centres the detector reports."""

    x: float
    y: float
    width: float
    height: float
    score: float
    right_eye: tuple[float, float]
    left_eye: tuple[float, float]

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.width / 2, self.y + self.height / 2)


@dataclass(frozen=True)
class FaceObservation:
    """What one frame shows: how many faces, and the largest one's box and mesh.

    ``landmarks`` is ``(478, 3)`` float32 in frame pixels (z on the same scale as x, smaller
    is closer to the camera), or ``None`` when no face was found or the mesh failed on it.
    """

    faces: int
    box: FaceBox | None
    landmarks: np.ndarray | None
    width: int
    height: int

    @property
    def face(self) -> bool:
        return self.faces > 0


def _iou(a: FaceBox, b: FaceBox) -> float:
    x0, y0 = max(a.x, b.x), max(a.y, b.y)
    x1 = min(a.x + a.width, b.x + b.width)
    y1 = min(a.y + a.height, b.y + b.height)
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def suppress_duplicates(boxes: list[FaceBox]) -> list[FaceBox]:
    """Greedy non-maximum suppression, best score first."""
    kept: list[FaceBox] = []
    for box in sorted(boxes, key=lambda b: b.score, reverse=True):
        if all(_iou(box, k) < _NMS_IOU for k in kept):
            kept.append(box)
    return kept


@dataclass(frozen=True)
class FaceLook:
    """What a meshed face looks like, small: the face's grey thumbnail (32x32) and each eye's
    (24x12, at the eye's own scale, so that an iris moving or a lid closing shows)."""

    face: np.ndarray
    eyes: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, rgb: np.ndarray, landmarks: np.ndarray) -> FaceLook:
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        face = _thumbnail(gray, landmarks[:, :2], (32, 32), pad=0.0)
        eyes = tuple(
            _thumbnail(gray, landmarks[list(outline), :2], (24, 12), pad=0.3)
            for outline in (RIGHT_EYE_OUTLINE, LEFT_EYE_OUTLINE)
        )
        return cls(face, eyes)

    def difference(self, other: FaceLook) -> float:
        """The larger of the face's and the eyes' mean absolute difference, in grey levels."""
        parts = zip((self.face, *self.eyes), (other.face, *other.eyes), strict=True)
        return max(float(np.mean(np.abs(a - b))) for a, b in parts)


def _thumbnail(
    gray: np.ndarray, points: np.ndarray, size: tuple[int, int], pad: float
) -> np.ndarray:
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    margin = pad * (x1 - x0)
    height, width = gray.shape
    xs, ys = max(0, int(x0 - margin)), max(0, int(y0 - margin))
    xe, ye = min(width, int(x1 + margin) + 1), min(height, int(y1 + margin) + 1)
    if xe - xs < 2 or ye - ys < 2:
        return np.zeros((size[1], size[0]), np.float32)
    region = gray[ys:ye, xs:xe]
    return cv2.resize(region, size, interpolation=cv2.INTER_AREA).astype(np.float32)


def box_from_landmarks(landmarks: np.ndarray) -> FaceBox:
    """A detector-like box for a face already meshed: the mesh's extent shrunk to the size of
    the full-range detector's box (measured on the astronaut: 0.9-0.97 of the mesh's extent), with
    the eye centres from the eye corners."""
    (x0, y0), (x1, y1) = landmarks[:, :2].min(axis=0), landmarks[:, :2].max(axis=0)
    side = 0.95 * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    right = landmarks[[33, 133], :2].mean(axis=0)
    left = landmarks[[362, 263], :2].mean(axis=0)
    return FaceBox(
        x=float(cx - side / 2),
        y=float(cy - side / 2),
        width=float(side),
        height=float(side),
        score=1.0,
        right_eye=(float(right[0]), float(right[1])),
        left_eye=(float(left[0]), float(left[1])),
    )


MESH_CONFIDENCE = 0.5
"""The face mesh's own face-presence threshold on its crop (MediaPipe's default)."""


class FaceModels:
    """MediaPipe's full-range face detector and the face mesh, both in static-image mode: they
    keep nothing from one image to the next, so one set can serve any number of streams, one
    call at a time (MediaPipe graphs are not thread-safe). About 30 MB once used; ~0.1 s to load.
    """

    def __init__(self, min_detection_confidence: float = 0.5) -> None:
        self.detector = mp_face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=min_detection_confidence
        )
        # The mesh finds the face again in its upright, enlarged crop: a second opinion at
        # MediaPipe's own default confidence. It rejected every "face" the detector found in
        # titles and drawings (scores 0.60-0.70 at 19-45 px) and kept every real one (video of
        # people, small, dark, grey and tilted photos): docs/analyzers.md, "Only people".
        self.mesh = mp_face_mesh.FaceMesh(
            static_image_mode=True,
            max_num_faces=1,
            refine_landmarks=True,
            min_detection_confidence=MESH_CONFIDENCE,
        )

    def close(self) -> None:
        self.detector.close()
        self.mesh.close()


class FaceAnalyzer:
    """Finds faces in RGB frames and meshes the largest, following one stream.

    The per-stream state (the face being tracked) is its own; the models come from ``models``,
    called once per frame, which must give a :class:`FaceModels` no other thread is using (the
    live server hands each analysis thread its own set). Without ``models`` it loads and owns
    a set, and must then be used from one thread at a time. ``tile_scan`` turns the zoomed
    small-face pass on or off.
    """

    def __init__(
        self,
        *,
        models: Callable[[], FaceModels] | None = None,
        tile_scan: bool = True,
        track_every: int = 0,
        reuse_below: float = 0.0,
    ) -> None:
        self._owned: FaceModels | None = None
        if models is None:
            owned = self._owned = FaceModels()
            models = lambda: owned  # noqa: E731
        self._models = models
        self._tile_scan = tile_scan
        # Tracking: with a face in the previous frame, mesh a crop around its landmarks and
        # skip the detector, re-detecting every ``track_every`` frames (0 = never track).
        self._track_every = track_every
        # Reuse: while tracking, a face whose look (the face, and each eye at its own
        # resolution) differs from the last meshed one by less than ``reuse_below`` grey levels
        # keeps its landmarks; the re-detection every ``track_every`` frames meshes again.
        self._reuse_below = reuse_below
        self._look: FaceLook | None = None
        self.reused = 0
        """Passes that kept the last mesh."""
        self._tracked: FaceObservation | None = None
        self._since_detection = 0
        self.detections = 0
        """Detector passes run so far (tracking exists to keep this low)."""

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def __enter__(self) -> FaceAnalyzer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def analyze(self, rgb: np.ndarray) -> FaceObservation:
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 RGB frame, got {rgb.shape} {rgb.dtype}")
        rgb = np.ascontiguousarray(rgb)
        height, width = rgb.shape[:2]
        previous = self._tracked
        if (
            previous is not None
            and previous.landmarks is not None
            and self._since_detection < self._track_every
            and (previous.width, previous.height) == (width, height)
        ):
            box = box_from_landmarks(previous.landmarks)
            look = FaceLook.of(rgb, previous.landmarks) if self._reuse_below > 0 else None
            if look is not None and self._look is not None:
                if look.difference(self._look) < self._reuse_below:
                    self._since_detection += 1
                    self.reused += 1
                    self._tracked = replace(previous, box=box)
                    return self._tracked
            landmarks = self.mesh(rgb, box)
            if landmarks is not None:
                self._look = FaceLook.of(rgb, landmarks) if look is not None else None
                self._since_detection += 1
                self._tracked = FaceObservation(previous.faces, box, landmarks, width, height)
                return self._tracked
        self._since_detection = 0
        self._tracked = observation = self._detect_and_mesh(rgb)
        if self._reuse_below > 0 and observation.landmarks is not None:
            self._look = FaceLook.of(rgb, observation.landmarks)
        return observation

    def _detect_and_mesh(self, rgb: np.ndarray) -> FaceObservation:
        height, width = rgb.shape[:2]
        boxes = self.detect(rgb)
        if not boxes:
            return FaceObservation(0, None, None, width, height)
        largest = max(boxes, key=lambda b: b.area)
        landmarks = self.mesh(rgb, largest)
        if landmarks is None:
            # The mesh did not find a face where the detector did: a title, a drawing, a
            # pattern. Only what both see is a person.
            return FaceObservation(0, None, None, width, height)
        return FaceObservation(len(boxes), largest, landmarks, width, height)

    def detect(self, rgb: np.ndarray) -> list[FaceBox]:
        """All faces in the frame: one full-frame pass, then zoomed tiles if it found none."""
        self.detections += 1
        boxes = self._detect_region(rgb, 0.0, 0.0)
        if boxes or not self._tile_scan:
            return boxes
        height, width = rgb.shape[:2]
        tile_w, tile_h = int(width * 0.625), int(height * 0.625)
        found: list[FaceBox] = []
        for y0 in (0, height - tile_h):
            for x0 in (0, width - tile_w):
                tile = np.ascontiguousarray(rgb[y0 : y0 + tile_h, x0 : x0 + tile_w])
                found.extend(self._detect_region(tile, float(x0), float(y0)))
        return suppress_duplicates(found)

    def _detect_region(self, rgb: np.ndarray, x0: float, y0: float) -> list[FaceBox]:
        height, width = rgb.shape[:2]
        result = self._models().detector.process(rgb)
        boxes: list[FaceBox] = []
        for detection in result.detections or []:
            rel = detection.location_data.relative_bounding_box
            keypoints = detection.location_data.relative_keypoints
            boxes.append(
                FaceBox(
                    x=x0 + rel.xmin * width,
                    y=y0 + rel.ymin * height,
                    width=rel.width * width,
                    height=rel.height * height,
                    score=float(detection.score[0]),
                    right_eye=(x0 + keypoints[0].x * width, y0 + keypoints[0].y * height),
                    left_eye=(x0 + keypoints[1].x * width, y0 + keypoints[1].y * height),
                )
            )
        return boxes

    def mesh(self, rgb: np.ndarray, box: FaceBox) -> np.ndarray | None:
        """478 landmarks of the face in ``box``, in frame pixels, or ``None``.

        The crop is rotated so the eyes are level: the mesh is most accurate on upright faces.
        """
        (rx, ry), (lx, ly) = box.right_eye, box.left_eye
        # Subject's right eye is on the image's left; the angle of the eye line in the image.
        angle = math.degrees(math.atan2(ly - ry, lx - rx))
        side = max(box.width, box.height) * _CROP_EXPAND
        scale = _CROP_SIZE / side
        cx, cy = box.centre
        to_crop = cv2.getRotationMatrix2D((cx, cy), angle, scale)
        to_crop[0, 2] += _CROP_SIZE / 2 - cx
        to_crop[1, 2] += _CROP_SIZE / 2 - cy
        crop = cv2.warpAffine(
            rgb,
            to_crop,
            (_CROP_SIZE, _CROP_SIZE),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        result = self._models().mesh.process(crop)
        if not result.multi_face_landmarks:
            return None
        points = np.array(
            [(p.x, p.y, p.z) for p in result.multi_face_landmarks[0].landmark], dtype=np.float32
        )
        points *= _CROP_SIZE
        back = cv2.invertAffineTransform(to_crop)
        xy = points[:, :2] @ back[:, :2].T + back[:, 2]
        z = points[:, 2] / scale
        return np.column_stack([xy, z]).astype(np.float32)
