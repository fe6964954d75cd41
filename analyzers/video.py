"""Per-frame video analysis: everything measured on one sampled RGB frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analyzers.face import FaceAnalyzer


@dataclass(frozen=True)
class VideoFrameResult:
    """What one analysed frame shows. ``t`` is media time in seconds."""

    t: float
    face: bool
    faces: int
    width: int
    height: int


class VideoFrameAnalyzer:
    """Runs every video analyzer on a frame. One instance per stream, used from one thread."""

    def __init__(self, *, tile_scan: bool = True) -> None:
        self._faces = FaceAnalyzer(tile_scan=tile_scan)

    def update(self, rgb: np.ndarray, t: float) -> VideoFrameResult:
        observation = self._faces.analyze(rgb)
        return VideoFrameResult(
            t=t,
            face=observation.face,
            faces=observation.faces,
            width=observation.width,
            height=observation.height,
        )

    def reset(self) -> None:
        """Forget what earlier frames taught (nothing yet: face presence is per frame)."""

    def close(self) -> None:
        self._faces.close()
