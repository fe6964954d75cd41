"""Per-window audio analysis: everything measured on one window of 16 kHz mono speech."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.voice import FRAME_SAMPLES, VoiceActivityDetector


@dataclass(frozen=True)
class AudioWindowResult:
    """One analysed window. ``t`` is the media time of its first sample, in seconds."""

    t: float
    duration: float
    speech: bool
    voiced_fraction: float
    rms_dbfs: float


class AudioWindowAnalyzer:
    """Runs every audio analyzer on consecutive windows of ``window_ms`` milliseconds."""

    def __init__(self, *, window_ms: int = 200, vad_aggressiveness: int = 3) -> None:
        window_samples = AUDIO_RATE * window_ms // 1000
        if window_samples <= 0 or window_samples % FRAME_SAMPLES:
            raise ValueError(f"window_ms must be a positive multiple of 20, got {window_ms}")
        self.window_samples = window_samples
        self._vad = VoiceActivityDetector(aggressiveness=vad_aggressiveness)

    def update(self, window: np.ndarray, t: float) -> AudioWindowResult:
        if window.size != self.window_samples:
            raise ValueError(f"expected {self.window_samples} samples, got {window.size}")
        voice = self._vad.analyze(window)
        return AudioWindowResult(
            t=t,
            duration=window.size / AUDIO_RATE,
            speech=voice.speech,
            voiced_fraction=voice.voiced_fraction,
            rms_dbfs=voice.rms_dbfs,
        )

    def reset(self) -> None:
        """Forget earlier windows (nothing yet: each window stands alone)."""
