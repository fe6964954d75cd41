"""The Slaney mel filterbank (librosa's ``filters.mel`` with its defaults), written here rather
than imported: librosa's import alone costs a process hundreds of megabytes. Whisper's input
(:mod:`analyzers.voice.turn`) and the voice encoder's (:mod:`analyzers.voice.speakers`) are
built on it."""

from __future__ import annotations

import functools

import numpy as np

from analyzers import AUDIO_RATE


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear to 1 kHz, logarithmic above."""
    linear = 3.0 * hz / 200.0
    log = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    linear = 200.0 * mel / 3.0
    log = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log, linear)


@functools.cache
def mel_filters(bands: int, n_fft: int) -> np.ndarray:
    """``bands`` triangular Slaney mel bands over 0-8 kHz for an ``n_fft``-point FFT of 16 kHz
    audio, each normalised to unit area: ``(bands, n_fft // 2 + 1)``."""
    bins = np.linspace(0.0, AUDIO_RATE / 2, n_fft // 2 + 1)
    edges = _mel_to_hz(
        np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(AUDIO_RATE / 2)), bands + 2)
    )
    widths = np.diff(edges)
    rising = (bins[np.newaxis, :] - edges[:-2, np.newaxis]) / widths[:-1, np.newaxis]
    falling = (edges[2:, np.newaxis] - bins[np.newaxis, :]) / widths[1:, np.newaxis]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[:, np.newaxis]


@functools.cache
def hann(n_fft: int) -> np.ndarray:
    """The periodic Hann window (torch's ``hann_window``, scipy's with ``fftbins``)."""
    return np.hanning(n_fft + 1)[:-1]


def power_mel(samples: np.ndarray, bands: int, n_fft: int, hop: int) -> np.ndarray:
    """The mel power spectrogram of centred, reflect-padded frames: ``(frames, bands)``, one
    frame every ``hop`` samples (librosa's ``feature.melspectrogram``)."""
    padded = np.pad(np.asarray(samples, np.float64), n_fft // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop]
    power = np.abs(np.fft.rfft(frames * hann(n_fft), axis=-1)) ** 2
    return power @ mel_filters(bands, n_fft).T
