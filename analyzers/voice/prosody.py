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
from analyzers.voice.yin import search_bounds, yin

HOP = 160  # 10 ms
FRAME = 1024  # 64 ms: two periods of the lowest pitch
FMIN, FMAX = 60.0, 500.0
_EPS = 1e-12
_WINDOW = np.hanning(FRAME)
_FREQS = np.fft.rfftfreq(FRAME, 1 / AUDIO_RATE)
HIGH_PASS_HZ = (65.0, 90.0)
"""Pitch and the spectral measures are taken above this band (a linear ramp from nothing at
65 Hz to all at 90 Hz). A microphone's DC offset and rumble otherwise make hops look periodic
at the shortest lag (a man's voice read 400 Hz), and mains hum at its own period. A voice
lower than that keeps its pitch in its harmonics, which YIN follows (a telephone's 300 Hz
floor is the classic case of the missing fundamental)."""
_LOWEST_HZ, _HIGHEST_HZ = search_bounds(sr=AUDIO_RATE, fmin=FMIN, fmax=FMAX, length=FRAME)


def high_pass(samples: np.ndarray) -> np.ndarray:
    """``samples`` without what lies under :data:`HIGH_PASS_HZ` (one FFT over them all: the
    caller passes the window with its context, so the edges fall outside the hops it keeps
    for long)."""
    if samples.size == 0:
        return samples
    low, high = HIGH_PASS_HZ
    # The FFT treats the buffer as one period of a loop: its offset and slope, taken out
    # first, would otherwise leak as a click at the seam into every band.
    ramp = np.linspace(-1.0, 1.0, samples.size)
    samples = samples - samples.mean()
    samples = samples - ramp * (samples @ ramp) / (ramp @ ramp)
    freqs = np.fft.rfftfreq(samples.size, 1 / AUDIO_RATE)
    gain = np.clip((freqs - low) / (high - low), 0.0, 1.0)
    return np.fft.irfft(np.fft.rfft(samples) * gain, n=samples.size)


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


def level_db(frames: np.ndarray) -> np.ndarray:
    """The level of each frame under the Hann window, dBFS."""
    power = np.mean((frames * _WINDOW) ** 2, axis=1) / np.mean(_WINDOW**2)
    return np.asarray(10 * np.log10(power + _EPS))


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
    filtered = frames_of(high_pass(samples))
    n = len(frames)
    if n == 0:
        empty = np.zeros(0)
        return HopTrack(empty, empty, empty.astype(bool), empty, empty, empty)
    times = t0 + (np.arange(n) * HOP + FRAME / 2) / AUDIO_RATE
    intensity = level_db(frames)
    # A hop under min_dbfs in the voice's band is never voiced: pitch and spectrum are measured
    # on the others only (a person listening costs little), and left at 0 for it. (Measured
    # after the high pass: a rumble is loud, and what the filter leaves of it is not a voice.)
    loud = level_db(filtered) >= min_dbfs
    f0, centroid, flatness = np.zeros(n), np.zeros(n), np.zeros(n)
    voiced = np.zeros(n, bool)
    if loud.any():
        heard = filtered[loud]
        f0[loud] = yin(heard, sr=AUDIO_RATE, fmin=FMIN, fmax=FMAX)
        lags = np.clip(np.round(AUDIO_RATE / f0[loud]).astype(int), 1, FRAME // 2)
        # YIN at the edge of its search found no trough: no pitch there.
        inside = (f0[loud] > _LOWEST_HZ * 1.001) & (f0[loud] < _HIGHEST_HZ * 0.999)
        voiced[loud] = (periodicity(heard, lags) >= min_periodicity) & inside
        spectrum = np.abs(np.fft.rfft(heard * _WINDOW, axis=1)) ** 2 + _EPS
        centroid[loud] = (spectrum * _FREQS).sum(axis=1) / spectrum.sum(axis=1)
        flatness[loud] = np.exp(np.mean(np.log(spectrum), axis=1)) / np.mean(spectrum, axis=1)
    return HopTrack(times, f0, voiced, intensity, centroid, flatness)
