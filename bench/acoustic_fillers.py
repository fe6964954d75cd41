"""Filled pauses ("um", "uh", "er") found in the sound itself, without a transcript.

A filled pause is a vowel (or a hummed nasal) held while the speaker thinks: voiced, at a pitch
that hardly moves, with a spectral envelope that does not change, for longer than the vowels of
fluent speech, where articulation changes the envelope every few tens of milliseconds and
intonation moves the pitch. This is the cue of Goto, Itou & Hayamizu, "A real-time filled pause
detection system for spontaneous speech recognition" (Eurospeech 1999): small F0 transition and
small spectral envelope deformation, sustained.

Per 10 ms hop of :func:`analyzers.voice.prosody.track`, a *steady stretch* grows while each voiced
hop stays within ``max_pitch_step`` semitones of the stretch's mean pitch and within
``max_shape_change`` dB (root mean square over 24 mel bands, loudness left out) of its mean
spectral shape; unvoiced hops up to ``max_gap`` seconds are tolerated inside it. A stretch that
lasted ``min_duration`` seconds or more is a filled pause. Measured against the recogniser
(``python -m bench.filled_pauses``; the verdict is in ``docs/analyzers.md``). It is a study, not
part of the live analysis: on the speech we can test with it did not beat the recogniser.
"""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np

from analyzers import AUDIO_RATE
from analyzers.voice.prosody import FRAME, HopTrack, frames_of, track

_MEL = librosa.filters.mel(sr=AUDIO_RATE, n_fft=FRAME, n_mels=24, fmin=80.0, fmax=5000.0).T


@dataclass(frozen=True)
class FilledPause:
    start: float
    end: float
    pitch_hz: float


@dataclass(frozen=True)
class FilledPauseOptions:
    min_duration: float = 0.25
    """Longer than nearly every vowel of fluent speech (stressed vowels run ~0.1-0.25 s); the
    study sweeps it."""
    max_pitch_step: float = 1.5
    """Semitones from the stretch's mean pitch: under the ~3 semitones listeners hear as an
    intonational movement."""
    max_shape_change: float = 5.0
    """dB (RMS over mel bands) from the stretch's mean spectral shape."""
    max_gap: float = 0.03
    """Seconds of unvoiced hops (a pitch tracker's dropout) a stretch may hold."""


def shapes_of(samples: np.ndarray) -> np.ndarray:
    """Per hop of :func:`analyzers.voice.prosody.track`: 24 mel band levels (dB) less their mean,
    the spectral envelope's shape with loudness left out."""
    frames = frames_of(samples)
    spectrum = np.abs(np.fft.rfft(frames * np.hanning(FRAME), axis=1)) ** 2 + 1e-12
    bands = 10 * np.log10(spectrum @ _MEL + 1e-12)
    return bands - bands.mean(axis=1, keepdims=True)


def detect(samples: np.ndarray, options: FilledPauseOptions | None = None) -> list[FilledPause]:
    """The filled pauses of a whole clip, timed from its first sample."""
    detector = FilledPauseDetector(options)
    return detector.update(track(samples, 0.0), shapes_of(samples)) + detector.flush()


class FilledPauseDetector:
    """Streams hop tracks in time order; one instance per stream, used from one thread."""

    def __init__(self, options: FilledPauseOptions | None = None) -> None:
        self.options = options or FilledPauseOptions()
        self._reset_stretch()

    def _reset_stretch(self) -> None:
        self._start: float | None = None
        self._last = 0.0
        self._hops = 0
        self._log_pitch_sum = 0.0
        self._shape_sum: np.ndarray | None = None

    def update(self, hops: HopTrack, shapes: np.ndarray) -> list[FilledPause]:
        """Feed the next hops and their spectral shapes (:func:`shapes_of`); returns the filled
        pauses that ended in them."""
        found: list[FilledPause] = []
        for t, f0, voiced, shape in zip(
            hops.times.tolist(), hops.f0.tolist(), hops.voiced.tolist(), shapes, strict=True
        ):
            if self._start is not None and t - self._last > self.options.max_gap + 0.011:
                found += self._close()
            if voiced and self._fits(f0, shape):
                self._extend(t, f0, shape)
            elif not voiced and self._start is not None:
                continue
            else:
                found += self._close()
                if voiced:
                    self._extend(t, f0, shape)
        return found

    def flush(self) -> list[FilledPause]:
        """Close the stretch in progress (the stream ended)."""
        return self._close()

    def _fits(self, f0: float, shape: np.ndarray) -> bool:
        if self._start is None or self._shape_sum is None:
            return True
        pitch = 12 * (np.log2(f0) - self._log_pitch_sum / self._hops)
        if abs(pitch) > self.options.max_pitch_step:
            return False
        change = float(np.sqrt(np.mean((shape - self._shape_sum / self._hops) ** 2)))
        return change <= self.options.max_shape_change

    def _extend(self, t: float, f0: float, shape: np.ndarray) -> None:
        if self._start is None:
            self._start = t
        self._last = t
        self._hops += 1
        self._log_pitch_sum += float(np.log2(f0))
        self._shape_sum = shape.copy() if self._shape_sum is None else self._shape_sum + shape

    def _close(self) -> list[FilledPause]:
        start, end, hops = self._start, self._last + 0.01, self._hops
        pitch = 2 ** (self._log_pitch_sum / hops) if hops else 0.0
        self._reset_stretch()
        if start is None or end - start < self.options.min_duration:
            return []
        return [FilledPause(start, end, float(pitch))]
