"""Rolling summary of the audio analysis: talk ratio, pauses, pitch, loudness, speaking rate and
vocal arousal over the last ``window`` seconds of media.

**Pitch** statistics are over voiced 10 ms hops, robust to the octave errors any pitch tracker
makes at the edges of voicing: mean, standard deviation and range (10th to 90th percentile) in
Hz, and the standard deviation and range in semitones (12 log2 of the ratio to the median),
where each standard deviation is 1.4826 times the median absolute deviation. **Monotony** is
``exp(-std_semitones / 2)``: 1 for a flat voice, 0.61 at 1 semitone of spread, 0.37 at 2,
0.14 at 4 (conversational speech is typically 2-4 semitones). **Loudness variation** is the
standard deviation, in dB, of the RMS level of the speech windows (at least half speech and
half voiced frames), again as 1.4826 x MAD.

**Arousal** (how activated the voice sounds; it is not emotion) combines the two variations:

    arousal_score = (pitch_std_semitones / 3 + loudness_std_db / 6) / 2

``calm`` below 0.5, ``animated`` above 1.1, ``neutral`` between: a voice that varies its pitch
by 3 semitones and its loudness by 6 dB scores 1; espeak-ng's default voice (1 semitone, 2.8 dB)
scores 0.4.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Annotated

import numpy as np

from analyzers.encoding import Digits
from analyzers.voice.speech_events import Pause


@dataclass(frozen=True)
class PitchStats:
    mean_hz: Annotated[float, Digits(1)]
    std_hz: Annotated[float, Digits(1)]
    range_hz: Annotated[float, Digits(1)]
    std_semitones: Annotated[float, Digits(3)]
    range_semitones: Annotated[float, Digits(3)]
    monotony: Annotated[float, Digits(3)]


TURN_GAP = 3.0
"""Seconds of silence that end a speaking turn (the other person talking, or thinking time)."""


def turns(spans: list[tuple[float, float]], gap: float) -> list[tuple[float, float]]:
    """Speech spans in order joined into turns: a silence shorter than ``gap`` stays inside
    the turn, a longer one ends it."""
    out: list[tuple[float, float]] = []
    for start, end in spans:
        if out and start - out[-1][1] < gap:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


@dataclass(frozen=True)
class SpeakingRate:
    articulation_rate: float
    """Syllables per second of speaking time (inside speech stretches, pauses left out)."""
    wpm: float
    """Speech rate: estimated words (syllables / the language's syllables per word) per minute
    of turn time (pauses shorter than the turn gap included)."""
    turn_seconds: float
    """Seconds inside speaking turns."""


@dataclass(frozen=True)
class Arousal:
    label: str
    score: Annotated[float, Digits(3)]


@dataclass(frozen=True)
class AudioSummary:
    window: float
    talk_ratio: float | None
    pause_count: int
    pause_mean_s: float | None
    pitch: PitchStats | None
    loudness_mean_dbfs: float | None
    loudness_std_db: float | None
    speaking_rate: SpeakingRate | None
    arousal: Arousal | None


def robust_std(values: np.ndarray) -> float:
    """1.4826 x median absolute deviation: the standard deviation of a normal distribution,
    unmoved by a few wild values."""
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


def pitch_stats(f0: np.ndarray) -> PitchStats | None:
    if f0.size < 10:
        return None
    semitones = 12 * np.log2(f0 / np.median(f0))
    low, high = np.percentile(f0, [10, 90])
    st_std = robust_std(semitones)
    return PitchStats(
        mean_hz=float(np.mean(f0[np.abs(semitones) <= 12])),
        std_hz=robust_std(f0),
        range_hz=float(high - low),
        std_semitones=st_std,
        range_semitones=float(12 * math.log2(high / low)),
        monotony=math.exp(-st_std / 2),
    )


def arousal(pitch: PitchStats | None, loudness_std_db: float | None) -> Arousal | None:
    if pitch is None or loudness_std_db is None:
        return None
    score = (pitch.std_semitones / 3 + loudness_std_db / 6) / 2
    label = "calm" if score < 0.5 else "animated" if score > 1.1 else "neutral"
    return Arousal(label, score)


@dataclass(frozen=True)
class _Window:
    t: float
    duration: float
    speech_seconds: float
    voiced_fraction: float
    rms_dbfs: float
    f0: np.ndarray


class AudioSummaryTracker:
    def __init__(
        self,
        *,
        window: float | None = 30.0,
        syllables_per_word: float = 1.5,
        turn_gap: float = TURN_GAP,
    ) -> None:
        self._window = window
        self._syllables_per_word = syllables_per_word
        self._turn_gap = turn_gap
        self._windows: deque[_Window] = deque()
        self._pauses: deque[Pause] = deque()
        self._segments: deque[tuple[float, float]] = deque()
        self._speaking_since: float | None = None

    def speech_started(self, t: float) -> None:
        self._speaking_since = t

    def speech_stopped(self, t: float) -> None:
        if self._speaking_since is not None:
            self._segments.append((self._speaking_since, t))
        self._speaking_since = None

    def _spans(self, start: float, end: float) -> list[tuple[float, float]]:
        """Speech stretches between ``start`` and ``end`` (an ongoing one up to ``end``): the
        dated segments, without the hangover."""
        keep = start - self._turn_gap  # a turn may begin before the window
        while self._window is not None and self._segments and self._segments[0][1] < keep:
            self._segments.popleft()
        spans = list(self._segments)
        if self._speaking_since is not None:
            spans.append((self._speaking_since, end))
        return spans

    @staticmethod
    def _inside(spans: list[tuple[float, float]], start: float, end: float) -> float:
        return sum(max(0.0, min(b, end) - max(a, start)) for a, b in spans)

    def speaking_seconds(self, start: float, end: float) -> float:
        """Time inside speech stretches between ``start`` and ``end``."""
        return self._inside(self._spans(start, end), start, end)

    def turn_seconds(self, start: float, end: float) -> float:
        """Time inside speaking turns between ``start`` and ``end``."""
        return self._inside(turns(self._spans(start, end), self._turn_gap), start, end)

    def add_window(
        self,
        t: float,
        duration: float,
        speech_seconds: float,
        voiced_fraction: float,
        rms_dbfs: float,
        f0: np.ndarray,
    ) -> None:
        self._windows.append(_Window(t, duration, speech_seconds, voiced_fraction, rms_dbfs, f0))
        if self._window is None:
            return
        while self._windows and self._windows[0].t < t - self._window:
            self._windows.popleft()

    def add_pause(self, pause: Pause) -> None:
        self._pauses.append(pause)

    def pauses(self) -> list[Pause]:
        """The pauses kept (over the window; all of them for a whole session)."""
        return list(self._pauses)

    def summary(self, t: float, syllables: int) -> AudioSummary:
        while self._window is not None and self._pauses and self._pauses[0].t < t - self._window:
            self._pauses.popleft()
        windows = list(self._windows)
        heard = sum(w.duration for w in windows)
        end = windows[-1].t + windows[-1].duration if windows else t
        speaking = self.speaking_seconds(end - heard, end) if windows else 0.0
        in_turns = self.turn_seconds(end - heard, end) if windows else 0.0
        speech_windows = [
            w for w in windows if w.speech_seconds >= w.duration / 2 and w.voiced_fraction >= 0.5
        ]
        levels = np.array([w.rms_dbfs for w in speech_windows])
        f0 = np.concatenate([w.f0 for w in windows]) if windows else np.zeros(0)
        pitch = pitch_stats(f0)
        loud_std = robust_std(levels) if levels.size >= 3 else None
        rate = None
        if speaking >= 2.0:
            words = syllables / self._syllables_per_word
            rate = SpeakingRate(syllables / speaking, words * 60 / in_turns, in_turns)
        pauses = list(self._pauses)
        return AudioSummary(
            window=heard,
            talk_ratio=speaking / heard if heard else None,
            pause_count=len(pauses),
            pause_mean_s=float(np.mean([p.duration for p in pauses])) if pauses else None,
            pitch=pitch,
            loudness_mean_dbfs=float(np.mean(levels)) if levels.size else None,
            loudness_std_db=loud_std,
            speaking_rate=rate,
            arousal=arousal(pitch, loud_std),
        )

    def reset(self) -> None:
        self._windows.clear()
        self._pauses.clear()
        self._segments.clear()
        self._speaking_since = None
