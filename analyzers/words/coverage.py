"""Nothing skipped: whether a recognition call's words cover the speech of its clip, and the
stretches they left out.

Whisper can stop writing before its audio ends or jump over a stretch, most often where a
second voice comes in at another level or over a telephone line: one call then returns words
for part of the clip and nothing for the rest, and nothing says so. The check compares where
the words are with where the clip is loud enough to be speech:

- **speech**: 20 ms frames within :data:`SPEECH_RANGE_DB` of the clip's loud frames (its 95th
  percentile level) and above :data:`FLOOR_DBFS`;
- **covered**: speech frames within :data:`PAD` seconds of a word;
- a clip is **short of words** when under :data:`MIN_COVERAGE` of its speech is covered and a
  stretch of at least :data:`MIN_STRETCH` seconds of speech has no word: that stretch
  (:func:`uncovered`) is cut out and recognised again on its own (:func:`recheck`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.words.language import Utterance, Word, label_words, language_family

FRAME = 0.02
SPEECH_RANGE_DB = 30.0
FLOOR_DBFS = -55.0
PAD = 0.3
"""Seconds either side of a word that count as its (Whisper's word times are ~0.1-0.2 s off,
and a breath between words belongs to them)."""
MIN_COVERAGE = 0.9
MIN_STRETCH = 1.0
MARGIN = 0.15
"""Seconds of audio kept either side of a stretch recognised again (never past a word)."""


@dataclass(frozen=True)
class Coverage:
    speech: float
    """Seconds of speech in the clip."""
    covered: float
    """Seconds of it near a word."""
    stretches: tuple[tuple[float, float], ...]
    """Media times of each stretch of at least :data:`MIN_STRETCH` s of speech with no word."""

    @property
    def share(self) -> float:
        return self.covered / self.speech if self.speech > 0 else 1.0

    @property
    def short_of_words(self) -> bool:
        return self.share < MIN_COVERAGE and bool(self.stretches)


def speech_frames(samples: np.ndarray) -> np.ndarray:
    """Which 20 ms frames of ``samples`` are loud enough to be speech."""
    size = round(FRAME * AUDIO_RATE)
    count = samples.size // size
    if count == 0:
        return np.zeros(0, bool)
    frames = samples[: count * size].astype(np.float64).reshape(count, size)
    level = 10 * np.log10(np.maximum((frames**2).mean(axis=1), 1e-12))
    loud = float(np.percentile(level, 95))
    return (level > loud - SPEECH_RANGE_DB) & (level > FLOOR_DBFS)


def coverage(start: float, samples: np.ndarray, words: Sequence[Word]) -> Coverage:
    """How much of the speech in ``samples`` (starting at media time ``start``) lies near one
    of ``words`` (media times)."""
    speech = speech_frames(samples)
    near = np.zeros(speech.size, bool)
    for w in words:
        lo = max(0, int((w.start - PAD - start) / FRAME))
        hi = min(speech.size, int(np.ceil((w.end + PAD - start) / FRAME)))
        near[lo:hi] = True
    missing = speech & ~near
    stretches = []
    for lo, hi in _runs(missing, bridge=round(PAD / FRAME)):
        seconds = float(missing[lo:hi].sum()) * FRAME
        if seconds >= MIN_STRETCH:
            stretches.append((start + lo * FRAME, start + hi * FRAME))
    return Coverage(
        float(speech.sum()) * FRAME, float((speech & near).sum()) * FRAME, tuple(stretches)
    )


def _runs(mask: np.ndarray, bridge: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` index runs of ``mask``, joining runs separated by at most ``bridge``."""
    runs: list[tuple[int, int]] = []
    for i in np.flatnonzero(mask):
        if runs and i - runs[-1][1] <= bridge:
            runs[-1] = (runs[-1][0], int(i) + 1)
        else:
            runs.append((int(i), int(i) + 1))
    return runs


Recognise = Callable[[float, np.ndarray], list[Utterance]]
"""Recognises audio starting at a media time: its utterances, at media times."""


def recheck(
    utterance: Utterance | None,
    start: float,
    samples: np.ndarray,
    recognise: Recognise,
    language: str,
) -> tuple[Utterance | None, float]:
    """``utterance`` (the words one call gave for the clip of ``samples`` at ``start``, or
    ``None`` for none) with every stretch its words left out recognised again on its own and
    put in place; and the seconds recognised again (0 when the words covered the speech)."""
    words = list(utterance.words) if utterance is not None else []
    found = coverage(start, samples, words)
    if not found.short_of_words:
        return utterance, 0.0
    again = 0.0
    end = start + samples.size / AUDIO_RATE
    for lo, hi in found.stretches:
        before = max([w.end for w in words if w.end <= lo + PAD] + [start])
        after = min([w.start for w in words if w.start >= hi - PAD] + [end])
        first, last = max(before, lo - MARGIN), min(after, hi + MARGIN)
        if last - first < MIN_STRETCH:
            continue
        part = samples[round((first - start) * AUDIO_RATE) : round((last - start) * AUDIO_RATE)]
        heard = [w for u in recognise(first, part) for w in u.words if first <= w.start < last]
        words += heard
        again += last - first
    if not words:
        return None, again
    words.sort(key=lambda w: w.start)
    labelled = label_words([Word(w.word, w.start, w.end, w.probability) for w in words], language)
    joiner = "" if language_family(language) == "zh" else " "
    spoken = utterance.language if utterance is not None else language
    return (
        Utterance(
            start=utterance.start if utterance is not None else round(start, 3),
            end=max(utterance.end if utterance is not None else start, labelled[-1].end),
            text=joiner.join(w.word for w in labelled).strip(),
            language=spoken,
            words=tuple(labelled),
        ),
        again,
    )
