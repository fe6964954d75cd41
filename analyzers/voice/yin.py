"""YIN pitch estimation (de Cheveigné & Kawahara, JASA 2002) on framed audio, in NumPy.

The algorithm is librosa's ``librosa.yin`` step for step (the difference function from the
autocorrelation of the whole frame, the cumulative mean normalised difference, the first trough
under the absolute threshold or else the global minimum, parabolic refinement), written without
librosa's numba kernels: compiling and holding those cost every worker ~160 MB of memory and
~3 s at start, for a few array operations per frame. (NumPy's FFT, not SciPy's: ``scipy.fft``
imports SciPy's special functions, linear algebra and sparse matrices, another ~50 MB.)
``tests/test_audio_analyzers.py`` holds it to librosa's answers on recorded speech.
"""

from __future__ import annotations

import numpy as np

_TINY = np.finfo(np.float64).tiny


def yin(
    frames: np.ndarray,
    *,
    sr: int,
    fmin: float,
    fmax: float,
    trough_threshold: float = 0.1,
) -> np.ndarray:
    """F0 in Hz of each frame (``frames`` is ``(n, frame_length)``)."""
    n, length = frames.shape
    if n == 0:
        return np.zeros(0)
    min_period = int(np.floor(sr / fmax))
    max_period = min(int(np.ceil(sr / fmin)), length - 1)
    # Room for every lag searched and no more: a circular autocorrelation of n points equals
    # the linear one at every lag up to n - length, so n needs only length + max_period (a
    # size made of 2s, 3s and 5s, which the FFT takes fast), not twice the frame.
    size = _fast_size(length + max_period)
    spectrum = np.fft.rfft(frames, n=size, axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    acf = np.fft.irfft(power, n=size, axis=1)[:, : max_period + 1]
    energy = np.cumsum(np.square(frames), axis=1)
    energy[:, 0] = 0  # as librosa does (it zeroes d(0) in place before reading it as energy)
    # d(k) = 2 (ACF(0) - ACF(k)) - sum_{m<k} y(m)^2, for k = 1..max_period
    difference = 2 * (acf[:, :1] - acf[:, 1:]) - energy[:, :max_period]
    cumulative_mean = np.cumsum(difference, axis=1) / np.arange(1, max_period + 1)
    curve = difference[:, min_period - 1 :] / (
        cumulative_mean[:, min_period - 1 : max_period] + _TINY
    )
    trough = np.zeros(curve.shape, bool)
    trough[:, 1:-1] = (curve[:, 1:-1] < curve[:, :-2]) & (curve[:, 1:-1] <= curve[:, 2:])
    trough[:, 0] = curve[:, 0] < curve[:, 1]
    trough[:, -1] = curve[:, -1] < curve[:, -2]
    below = trough & (curve < trough_threshold)
    period = np.where(below.any(axis=1), np.argmax(below, axis=1), np.argmin(curve, axis=1))
    refined = min_period + period + _parabolic_shifts(curve, period)
    return np.asarray(sr / refined)


def _fast_size(n: int) -> int:
    """The smallest number at least ``n`` with no prime factor above 5."""
    while True:
        m = n
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        if m == 1:
            return n
        n += 1


def search_bounds(*, sr: int, fmin: float, fmax: float, length: int) -> tuple[float, float]:
    """The lowest and highest F0 :func:`yin` can answer for frames of ``length``. An answer at
    either bound is no pitch: the curve fell all the way to the edge of the search without a
    trough (low-frequency rumble, breath or noise), and YIN returns the edge."""
    min_period = int(np.floor(sr / fmax))
    max_period = min(int(np.ceil(sr / fmin)), length - 1)
    return sr / max_period, sr / min_period


def _parabolic_shifts(curve: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Where the parabola through each row's point ``at`` and its neighbours has its optimum,
    relative to the point; 0 where that is more than one bin away, and at both ends."""
    rows = np.arange(curve.shape[0])
    inner = (at > 0) & (at < curve.shape[1] - 1)
    here = np.clip(at, 1, curve.shape[1] - 2)
    before, middle, after = curve[rows, here - 1], curve[rows, here], curve[rows, here + 1]
    a = after + before - 2 * middle
    b = (after - before) / 2
    near = inner & (np.abs(b) < np.abs(a))
    return np.divide(-b, a, out=np.zeros_like(b), where=near)
