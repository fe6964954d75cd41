"""Voice activity per 20 ms frame: webrtcvad, gated by level and spectral flatness.

webrtcvad alone calls stationary white noise speech at every aggressiveness (measured: 100 % of
frames of -30 dBFS white noise, see ``docs/analyzers.md``). Voiced speech has a harmonic
spectrum, white noise a flat one, so a frame only counts as speech when webrtcvad says so, its
level is above ``min_dbfs``, and its spectral flatness (geometric over arithmetic mean of the
power spectrum, 0 = pure tone, 1 = white noise) is below ``max_flatness``.
"""

from __future__ import annotations

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


class VoiceActivityDetector:
    """Classifies 20 ms frames of 16 kHz mono float32 audio; :mod:`analyzers.speech` turns the
    decisions into speech stretches."""

    def __init__(
        self,
        *,
        aggressiveness: int = 3,
        min_dbfs: float = -50.0,
        max_flatness: float = 0.3,
    ) -> None:
        if not 0 <= aggressiveness <= 3:
            raise ValueError(f"webrtcvad aggressiveness is 0..3, got {aggressiveness}")
        self._vad = webrtcvad.Vad(aggressiveness)
        self._min_dbfs = min_dbfs
        self._max_flatness = max_flatness

    def frame_is_speech(self, frame: np.ndarray) -> bool:
        if frame.size != FRAME_SAMPLES:
            raise ValueError(f"a VAD frame is {FRAME_SAMPLES} samples, got {frame.size}")
        if rms_dbfs(frame) < self._min_dbfs:
            return False
        pcm = (np.clip(frame, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        if not self._vad.is_speech(pcm, AUDIO_RATE):
            return False
        return spectral_flatness(frame) < self._max_flatness
