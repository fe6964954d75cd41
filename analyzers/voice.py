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
from analyzers.loudness import SILENCE_DBFS

FRAME_SAMPLES = AUDIO_RATE * 20 // 1000
_EPS = 1e-12
_HANN = np.hanning(FRAME_SAMPLES)


def spectral_flatness(frame: np.ndarray) -> float:
    """Flatness of the Hann-windowed power spectrum of one frame, in 0..1."""
    window = _HANN if frame.size == FRAME_SAMPLES else np.hanning(frame.size)
    return float(_flatness(frame[np.newaxis] * window)[0])


def _flatness(windowed: np.ndarray) -> np.ndarray:
    power = np.abs(np.fft.rfft(windowed, axis=-1)) ** 2 + _EPS
    return np.exp(np.mean(np.log(power), axis=-1)) / np.mean(power, axis=-1)


def frame_levels(frames: np.ndarray) -> np.ndarray:
    """RMS level of each row in dBFS, floored as :func:`analyzers.loudness.rms_dbfs` is."""
    mean_square = np.mean(np.square(frames, dtype=np.float64), axis=-1)
    with np.errstate(divide="ignore"):
        levels = 10.0 * np.log10(mean_square)
    return np.maximum(levels, SILENCE_DBFS)


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
        return bool(self.frames_are_speech(frame.reshape(1, -1))[0])

    def frames_are_speech(self, frames: np.ndarray) -> np.ndarray:
        """One decision per row of ``frames`` (``(n, 320)``, consecutive), with the level and
        flatness gates computed for all rows at once. webrtcvad adapts to what it hears, so it
        hears exactly the frames loud enough to ask about, in order, as one frame at a time."""
        if frames.ndim != 2 or frames.shape[1] != FRAME_SAMPLES:
            raise ValueError(f"VAD frames are (n, {FRAME_SAMPLES}), got {frames.shape}")
        speech = frame_levels(frames) >= self._min_dbfs
        loud = np.flatnonzero(speech)
        if loud.size:
            pcm = (np.clip(frames[loud], -1.0, 1.0) * 32767.0).astype("<i2")
            said = np.array([self._vad.is_speech(row.tobytes(), AUDIO_RATE) for row in pcm])
            speech[loud] = said & (_flatness(frames[loud] * _HANN) < self._max_flatness)
        return speech
