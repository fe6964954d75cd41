"""Voice activity per 20 ms frame: webrtcvad, gated by level and spectral flatness.

webrtcvad alone calls stationary white noise speech at every aggressiveness (measured: 100 % of
frames of -30 dBFS white noise, see ``docs/analyzers.md``). Voiced speech has a harmonic
spectrum, white noise a flat one, so a frame only counts as speech when webrtcvad says so, its
level is above ``min_dbfs``, and its spectral flatness (geometric over arithmetic mean of the
power spectrum, 0 = pure tone, 1 = white noise) is below ``max_flatness``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import webrtcvad

from analyzers import AUDIO_RATE
from analyzers.loudness import rms_dbfs

FRAME_SAMPLES = AUDIO_RATE * 20 // 1000
_EPS = 1e-12


def spectral_flatness(frame: np.ndarray) -> float:
    """Flatness of the Hann-windowed power spectrum of one frame, in 0..1."""
    power = np.abs(np.fft.rfft(frame * np.hanning(frame.size))) ** 2 + _EPS
    return float(np.exp(np.mean(np.log(power))) / np.mean(power))


@dataclass(frozen=True)
class VoiceWindow:
    """Voice activity over one analysis window."""

    speech: bool
    voiced_fraction: float
    rms_dbfs: float


class VoiceActivityDetector:
    """Classifies 16 kHz mono float32 windows (a whole number of 20 ms frames).

    ``min_voiced_fraction`` of the frames must be speech for the window to be speech.
    """

    def __init__(
        self,
        *,
        aggressiveness: int = 3,
        min_dbfs: float = -50.0,
        max_flatness: float = 0.3,
        min_voiced_fraction: float = 0.3,
    ) -> None:
        if not 0 <= aggressiveness <= 3:
            raise ValueError(f"webrtcvad aggressiveness is 0..3, got {aggressiveness}")
        self._vad = webrtcvad.Vad(aggressiveness)
        self._min_dbfs = min_dbfs
        self._max_flatness = max_flatness
        self._min_voiced_fraction = min_voiced_fraction

    def frame_is_speech(self, frame: np.ndarray) -> bool:
        if frame.size != FRAME_SAMPLES:
            raise ValueError(f"a VAD frame is {FRAME_SAMPLES} samples, got {frame.size}")
        if rms_dbfs(frame) < self._min_dbfs:
            return False
        pcm = (np.clip(frame, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        if not self._vad.is_speech(pcm, AUDIO_RATE):
            return False
        return spectral_flatness(frame) < self._max_flatness

    def analyze(self, window: np.ndarray) -> VoiceWindow:
        n_frames = window.size // FRAME_SAMPLES
        if n_frames == 0 or window.size % FRAME_SAMPLES:
            raise ValueError(
                f"a window is a whole number of {FRAME_SAMPLES}-sample frames, got {window.size}"
            )
        frames = window.reshape(n_frames, FRAME_SAMPLES)
        voiced = sum(self.frame_is_speech(f) for f in frames)
        fraction = voiced / n_frames
        return VoiceWindow(
            speech=fraction >= self._min_voiced_fraction,
            voiced_fraction=fraction,
            rms_dbfs=rms_dbfs(window),
        )
