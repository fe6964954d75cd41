"""Pitch, spectral shape and intensity of 16 kHz mono speech, per 10 ms hop.

**Pitch** is YIN (:mod:`analyzers.voice.yin`, librosa's algorithm without its numba kernels; 60-500
Hz, 64 ms frames). YIN always returns a number, so a
hop counts as voiced only when the signal is periodic at that period: the normalised
autocorrelation at the YIN lag is at least ``min_periodicity`` (0.5; ~1 for a vowel or a tone,
~0 for noise or silence) and the hop is louder than ``min_dbfs``. pYIN, which decides voicing
itself, was measured at 108 ms of CPU per 200 ms window against 1.2 ms for YIN
(``docs/analyzers.md``), too slow to run live.

**Spectral centroid** (Hz, the spectrum's centre of mass: higher for crisper, brighter
articulation) and **spectral flatness** (0 tonal .. 1 noise-like: higher for breathy or noisy
voice) are the clarity proxies, over the voiced hops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.voice.yin import yin

HOP = 160  # 10 ms
FRAME = 1024  # 64 ms: two periods of the lowest pitch
FMIN, FMAX = 60.0, 500.0
_EPS = 1e-12
_WINDOW = np.hanning(FRAME)
_FREQS = np.fft.rfftfreq(FRAME, 1 / AUDIO_RATE)


@dataclass(frozen=True)
class HopTrack:
    """Per-hop measurements; arrays of one length."""

    times: np.ndarray
    f0: np.ndarray
    """Hz; 0 for hops under ``min_dbfs`` (never voiced), like the spectral measures."""
    voiced: np.ndarray
    intensity_db: np.ndarray
    """Level of the 64 ms Hann frame, dBFS: Praat's intensity window for a 50 Hz pitch floor,
    the contour syllable nuclei are picked from."""
    centroid_hz: np.ndarray
    flatness: np.ndarray


def frames_of(samples: np.ndarray, frame: int = FRAME, hop: int = HOP) -> np.ndarray:
    if samples.size < frame:
        return np.zeros((0, frame), np.float32)
    return np.lib.stride_tricks.sliding_window_view(samples, frame)[::hop]


def periodicity(frames: np.ndarray, lags: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation of each frame at its lag."""
    out = np.zeros(len(frames))
    for i, (frame, lag) in enumerate(zip(frames, lags, strict=True)):
        a, b = frame[: frame.size - lag], frame[lag:]
        out[i] = np.dot(a, b) / (np.sqrt(np.dot(a, a) * np.dot(b, b)) + _EPS)
    return out


def track(
    samples: np.ndarray,
    t0: float,
    *,
    min_periodicity: float = 0.5,
    min_dbfs: float = -50.0,
) -> HopTrack:
    """Measure ``samples`` (whose first sample is at media time ``t0``) per 10 ms hop. Each hop
    is dated to the centre of its 64 ms frame."""
    frames = frames_of(samples)
    n = len(frames)
    if n == 0:
        empty = np.zeros(0)
        return HopTrack(empty, empty, empty.astype(bool), empty, empty, empty)
    times = t0 + (np.arange(n) * HOP + FRAME / 2) / AUDIO_RATE
    window = _WINDOW
    power = np.mean((frames * window) ** 2, axis=1) / np.mean(window**2)
    intensity = 10 * np.log10(power + _EPS)
    # A hop under min_dbfs is never voiced: pitch and spectrum are measured on the others only
    # (a person listening costs little), and left at 0 for it.
    loud = intensity >= min_dbfs
    f0, centroid, flatness = np.zeros(n), np.zeros(n), np.zeros(n)
    voiced = np.zeros(n, bool)
    if loud.any():
        heard = frames[loud]
        f0[loud] = yin(heard, sr=AUDIO_RATE, fmin=FMIN, fmax=FMAX)
        lags = np.clip(np.round(AUDIO_RATE / f0[loud]).astype(int), 1, FRAME // 2)
        voiced[loud] = periodicity(heard, lags) >= min_periodicity
        spectrum = np.abs(np.fft.rfft(heard * window, axis=1)) ** 2 + _EPS
        centroid[loud] = (spectrum * _FREQS).sum(axis=1) / spectrum.sum(axis=1)
        flatness[loud] = np.exp(np.mean(np.log(spectrum), axis=1)) / np.mean(spectrum, axis=1)
    return HopTrack(times, f0, voiced, intensity, centroid, flatness)
