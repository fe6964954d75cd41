"""Each utterance's audio cut out of a stream for speech recognition (the stream core's
:class:`~analyzers.session.stream.AudioStream` uses it when transcripts are on).

An utterance runs from a speech start to the speech stop after which the silence lasts ``gap``
seconds: the analyzer's ``min_pause``, so utterances are separated exactly by the pauses the
pause statistics count, and shorter silences (a breath, a comma) stay inside. Where an answer is
cut therefore depends on the audio alone, never on how busy recognition is. An utterance with
less than ``SHORT`` seconds of speech (a lone "对" before a comma) can be given ``join``
seconds of silence before it ends: alone, the recogniser often hears nothing in it, and with
what follows it is heard (Mandarin sessions, ``bench/mandarin_cer.py``). Clips never overlap:
each begins no earlier than the previous one ended, so no word can be heard twice. A monologue
longer than ``longest`` seconds is cut at its best pause: the longest silence in its second half
(or the latest one), and with none at its quietest moment there, never inside a word where the
audio is loud.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.voice.speech_events import SpeechStarted, SpeechStopped
from analyzers.words.recognition import SpeechClip


class ClipCutter:
    """Cuts utterances out of the stream; keeps only the recent audio an open utterance can
    need."""

    LEAD = 0.2
    """Seconds of audio kept before a speech start (a soft onset the detector dated late)."""
    TAIL = 0.25
    """Seconds kept after a speech stop (a trailing consonant)."""

    SHORT = 1.0
    """Seconds of speech under which an utterance waits ``join`` seconds for more."""

    def __init__(self, longest: float, gap: float = 0.6, join: float | None = None) -> None:
        if longest <= 2 * gap:
            raise ValueError(f"an utterance of at most {longest} s cannot hold a {gap} s gap")
        self.longest = longest
        self.gap = gap
        self.join = gap if join is None else max(gap, join)
        """Silence that ends an utterance shorter than ``SHORT`` (``gap``: no different)."""
        self._recent: list[tuple[float, np.ndarray]] = []
        self._open: float | None = None
        """When the open utterance's speech began."""
        self._stopped: float | None = None
        """When its latest speech stretch stopped, while it is silent."""
        self._silences: list[tuple[float, float]] = []
        """Its silences shorter than the gap: (speech stopped, speech started again)."""
        self._floor = -math.inf
        """Where the previous clip's audio ended: the next one starts no earlier."""
        self._now = 0.0
        self._partial_at: float | None = None

    def update(self, samples: np.ndarray, t: float, outputs: Sequence[object]) -> list[SpeechClip]:
        self._recent.append((t, samples))
        self._now = t + samples.size / AUDIO_RATE
        clips: list[SpeechClip] = []
        for event in outputs:
            if isinstance(event, SpeechStarted):
                if self._stopped is not None and event.t - self._stopped >= self._ending():
                    clips.append(self._end())
                if self._open is None:
                    self._open = event.t
                elif self._stopped is not None:
                    self._silences.append((self._stopped, event.t))
                self._stopped = None
            elif isinstance(event, SpeechStopped) and self._open is not None:
                self._stopped = event.t
        if self._stopped is not None and self._now - self._stopped >= self._ending():
            clips.append(self._end())
        elif self._open is not None and self._now - self._open >= self.longest:
            clips.append(self._split())
        keep_from = (self._open if self._open is not None else self._now) - self.LEAD - 1.0
        self._recent = [(s, x) for s, x in self._recent if s + x.size / AUDIO_RATE >= keep_from]
        return clips

    def _ending(self) -> float:
        """The silence that ends the open utterance now."""
        short = (
            self._open is not None
            and self._stopped is not None
            and self._stopped - self._open < self.SHORT
        )
        return self.join if short else self.gap

    def _end(self) -> SpeechClip:
        """The open utterance, which ended at its latest speech stop."""
        assert self._open is not None and self._stopped is not None
        clip = self._cut(self._open, self._stopped, self._stopped + self.TAIL)
        self._open = self._stopped = None
        self._silences = []
        return clip

    def _split(self) -> SpeechClip:
        """The first part of a monologue that has gone on too long: up to its best pause (the
        longest silence inside its second half, else the latest), or, with none, up to its
        quietest moment in the second half, so that no word is cut in two."""
        assert self._open is not None
        half = self._open + (self._now - self._open) / 2
        later = [s for s in self._silences if s[0] >= half]
        if later or self._silences:
            stopped, started = (
                max(later, key=lambda s: (s[1] - s[0], s[0]), default=None) or (self._silences[-1])
            )
            middle = (stopped + started) / 2
            clip = self._cut(self._open, stopped, min(stopped + self.TAIL, middle))
            self._open = started
            self._silences = [s for s in self._silences if s[0] >= started]
        else:
            quiet = self._quietest(half, self._now)
            clip = self._cut(self._open, quiet, quiet)
            self._open = quiet
            self._silences = []
        return clip

    def _quietest(self, start: float, end: float, frame: float = 0.1) -> float:
        """The middle of the quietest ``frame`` seconds of audio between ``start`` and ``end``
        (a breath between words, where a cut loses nothing)."""
        samples = self._audio(start, end)
        size = round(frame * AUDIO_RATE)
        if samples.size < 2 * size:
            return end
        frames = samples[: samples.size // size * size].reshape(-1, size)
        energy = np.convolve((frames.astype(np.float64) ** 2).mean(axis=1), np.ones(2), "valid")
        return start + (int(np.argmin(energy)) + 1) * frame

    def partial(self, every: float) -> SpeechClip | None:
        """The open utterance's audio so far, once it has gone on ``every`` seconds since it
        began or since the last partial; ``None`` otherwise."""
        if self._open is None:
            return None
        since = max(self._open, self._partial_at or self._open)
        if self._now - since < every:
            return None
        self._partial_at = self._now
        return self._cut(self._open, self._now, self._now, keep=False)

    def close(self) -> list[SpeechClip]:
        """The utterance still open when the stream ends, if any."""
        if self._open is None or self._now - self._open < 0.1:
            return []
        end = self._stopped if self._stopped is not None else self._now
        clip = self._cut(self._open, end, min(end + self.TAIL, self._now))
        self._open = self._stopped = None
        return [clip]

    def _cut(self, start: float, end: float, audio_end: float, *, keep: bool = True) -> SpeechClip:
        """Speech from ``start`` to ``end``, with audio from a little before ``start`` (never
        before the previous clip's end) to ``audio_end``."""
        first = max(start - self.LEAD, self._floor, self._recent[0][0] if self._recent else start)
        last = min(audio_end, self._now)
        if keep:
            self._floor = last
        return SpeechClip(first, end, self._audio(first, last))

    def _audio(self, first: float, last: float) -> np.ndarray:
        """The recent audio from ``first`` to ``last`` (zeros where none was kept)."""
        canvas = np.zeros(max(0, round((last - first) * AUDIO_RATE)), np.float32)
        for at, chunk in self._recent:
            offset = round((at - first) * AUDIO_RATE)
            lo, hi = max(0, offset), min(canvas.size, offset + chunk.size)
            if lo < hi:
                canvas[lo:hi] = chunk[lo - offset : hi - offset]
        return canvas
