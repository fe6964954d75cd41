"""Each utterance's audio cut out of a stream for speech recognition (the stream core's
:class:`~analyzers.stream.AudioStream` uses it when transcripts are on)."""

from __future__ import annotations

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.audio import AudioOutput
from analyzers.speech import SpeechStarted, SpeechStopped
from analyzers.speech_to_text import SpeechClip


class ClipCutter:
    """Cuts each utterance's audio out of the stream: from its speech start (less a little
    lead-in) to its stop (plus a little tail), a long one every ``longest`` seconds. Keeps only
    the recent audio an open utterance can need."""

    LEAD = 0.2
    TAIL = 0.25

    def __init__(self, longest: float) -> None:
        self.longest = longest
        self._recent: list[tuple[float, np.ndarray]] = []
        self._open: float | None = None
        self._now = 0.0
        self._partial_at: float | None = None

    def update(self, samples: np.ndarray, t: float, outputs: list[AudioOutput]) -> list[SpeechClip]:
        self._recent.append((t, samples))
        self._now = t + samples.size / AUDIO_RATE
        clips = []
        for event in outputs:
            if isinstance(event, SpeechStarted) and self._open is None:
                self._open = event.t
            elif isinstance(event, SpeechStopped) and self._open is not None:
                clips.append(self._cut(self._open, event.t))
                self._open = None
        if self._open is not None and self._now - self._open >= self.longest:
            clips.append(self._cut(self._open, self._now, tail=0.0))
            self._open = self._now
        keep_from = (self._open if self._open is not None else self._now) - self.LEAD - 1.0
        self._recent = [(s, x) for s, x in self._recent if s + x.size / AUDIO_RATE >= keep_from]
        return clips

    def partial(self, every: float) -> SpeechClip | None:
        """The open utterance's audio so far, once it has gone on ``every`` seconds since it
        began or since the last partial; ``None`` otherwise."""
        if self._open is None:
            return None
        since = max(self._open, self._partial_at or self._open)
        if self._now - since < every:
            return None
        self._partial_at = self._now
        return self._cut(self._open, self._now, tail=0.0)

    def close(self) -> list[SpeechClip]:
        """The utterance still open when the stream ends, if any."""
        if self._open is None or self._now - self._open < 0.1:
            return []
        clip = self._cut(self._open, self._now, tail=0.0)
        self._open = None
        return [clip]

    def _cut(self, start: float, end: float, tail: float = TAIL) -> SpeechClip:
        first = max(start - self.LEAD, self._recent[0][0] if self._recent else start)
        last = min(end + tail, self._now)
        canvas = np.zeros(max(0, round((last - first) * AUDIO_RATE)), np.float32)
        for at, chunk in self._recent:
            offset = round((at - first) * AUDIO_RATE)
            lo, hi = max(0, offset), min(canvas.size, offset + chunk.size)
            if lo < hi:
                canvas[lo:hi] = chunk[lo - offset : hi - offset]
        return SpeechClip(first, end, canvas)
