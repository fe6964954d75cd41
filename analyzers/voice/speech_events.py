"""Speech start and stop events from 20 ms voice-activity decisions, with hangover smoothing.

Speech starts when ``onset_frames`` of the last ``onset_span`` frames are speech (3 of 5: 60 ms
of voice within 100 ms), and is dated to the first voiced frame of that run, or earlier, to
the start of the unbroken run of *edge* frames it belongs to (at most ``backdate`` seconds
before): a detector that needs context to be sure (Silero, 30-100 ms late on a soft onset) says
when speech is there, a fine-grained one (webrtcvad) says where it began. It stops when no
frame has been speech for ``hangover`` seconds (default 0.15 s: longer than the gaps inside
words and between most words; a comma's pause ends a stretch), and is dated to the end of the
last voiced frame. Events are therefore
emitted at most ``hangover`` after the change. Silences of at least ``min_pause`` seconds
between two stretches of speech are pauses.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

FRAME_SECONDS = 0.02


@dataclass(frozen=True)
class SpeechStarted:
    t: float


@dataclass(frozen=True)
class SpeechStopped:
    t: float
    duration: float
    """Seconds since the matching start."""


@dataclass(frozen=True)
class Pause:
    t: float
    """When the silence began (the end of the speech before it)."""
    duration: float


SpeechEvent = SpeechStarted | SpeechStopped


class SpeechTracker:
    def __init__(
        self,
        *,
        onset_frames: int = 3,
        onset_span: int = 5,
        hangover: float = 0.15,
        min_pause: float = 0.6,
        backdate: float = 0.2,
    ) -> None:
        self._onset_frames = onset_frames
        self._backdate = backdate
        self._edge_since: float | None = None
        self._recent: deque[tuple[float, bool]] = deque(maxlen=onset_span)
        self._hangover = hangover
        self.min_pause = min_pause
        self.speaking = False
        self._started_at = 0.0
        self._last_voiced_end = 0.0
        self._stopped_at: float | None = None
        self.pauses: list[Pause] = []

    def update(self, voiced: bool, t: float, edge: bool | None = None) -> list[SpeechEvent | Pause]:
        """Feed the decision for the 20 ms frame starting at ``t`` (``edge``: whether the
        fine-grained detector heard voice in it; by default ``voiced``); returns what it
        completes."""
        self._recent.append((t, voiced))
        if voiced if edge is None else edge:
            self._edge_since = t if self._edge_since is None else self._edge_since
        else:
            self._edge_since = None
        events: list[SpeechEvent | Pause] = []
        if voiced:
            self._last_voiced_end = t + FRAME_SECONDS
        if not self.speaking:
            if sum(v for _, v in self._recent) >= self._onset_frames:
                start = next(ts for ts, v in self._recent if v)
                since = self._edge_since
                if since is not None and start - self._backdate <= since < start:
                    start = since
                if self._stopped_at is not None and start - self._stopped_at >= self.min_pause:
                    pause = Pause(self._stopped_at, start - self._stopped_at)
                    self.pauses.append(pause)
                    events.append(pause)
                self.speaking = True
                self._started_at = start
                events.append(SpeechStarted(start))
        elif t + FRAME_SECONDS - self._last_voiced_end >= self._hangover:
            self.speaking = False
            self._stopped_at = self._last_voiced_end
            events.append(SpeechStopped(self._stopped_at, self._stopped_at - self._started_at))
        return events

    def reset(self) -> None:
        self._recent.clear()
        self._edge_since = None
        self.speaking = False
        self._stopped_at = None
        self.pauses.clear()
