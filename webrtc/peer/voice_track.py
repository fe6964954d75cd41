"""The interviewer's voice as an outgoing WebRTC audio track: 20 ms frames of 48 kHz mono,
paced in real time. The browser plays it like any remote audio, and its echo canceller removes
it from the microphone; what it leaves is told from the person by the level of what was sent
(:meth:`VoiceTrack.loudest`, ``analyzers/voice/echo.py``).

Between questions the track goes quiet: after :data:`HANGOVER` seconds of silence it sends
nothing until the next question plays (as a WebRTC endpoint's discontinuous transmission
does), and the RTP timestamps then jump by the time it was quiet, so the receiver's jitter
buffer plays silence in between. Every frame sent costs an Opus encoding and a packet through
SRTP and the event loop; a session that kept sending 50 frames of silence a second for all the
time the person answers spent more on the interviewer's silence than on the person's own
microphone (``docs/benchmarks.md``, "Interview mode")."""

from __future__ import annotations

import asyncio
import fractions
import time
from collections import deque

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from analyzers.voice.loudness import SILENCE_DBFS as SILENCE
from webrtc.runtime.speech_synthesis import RATE

FRAME = RATE // 50
"""Samples in one 20 ms frame."""
LEVELS_KEPT = 100
"""Frames whose level is kept (2 s): longer than any echo's way back."""
HANGOVER = 2.0
"""Seconds of silence sent after the voice before the track goes quiet: the end of a question
reaches the listener whole, followed by silence as from any speaker."""


class VoiceTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, hangover: float = HANGOVER) -> None:
        super().__init__()
        self._hangover = hangover
        self._pending: deque[np.ndarray] = deque()
        self._start: float | None = None
        self._timestamp = 0
        self._levels: deque[tuple[float, float]] = deque(maxlen=LEVELS_KEPT)
        """(Unix time sent, level in dBFS) of the latest frames."""
        self._voiced_at = 0.0
        """Unix time of the last frame that carried the voice (or of the first frame)."""
        self._woken: asyncio.Event | None = None

    def loudest(self, since: float, until: float) -> float:
        """The highest level (dBFS) of the voice sent between two Unix times."""
        return max((level for t, level in self._levels if since <= t <= until), default=SILENCE)

    def play(self, pcm: np.ndarray) -> float:
        """Queue ``pcm`` (int16, 48 kHz mono) after what is playing, replacing nothing; the
        seconds until it has played."""
        queued = sum(len(p) for p in self._pending)
        self._pending.append(pcm.astype(np.int16, copy=False))
        if self._woken is not None:
            self._woken.set()
        return (queued + len(pcm)) / RATE

    def stop_playing(self) -> None:
        """Silence from the next frame (a question asked again, or the interview ended)."""
        self._pending.clear()

    def _next(self) -> np.ndarray:
        out = np.zeros(FRAME, np.int16)
        filled = 0
        while filled < FRAME and self._pending:
            head = self._pending[0]
            take = min(FRAME - filled, len(head))
            out[filled : filled + take] = head[:take]
            filled += take
            if take == len(head):
                self._pending.popleft()
            else:
                self._pending[0] = head[take:]
        return out

    def stop(self) -> None:
        super().stop()
        if self._woken is not None:  # a recv waiting for the next question ends
            self._woken.set()

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.time()
        if self._start is None:
            self._start = self._voiced_at = now
        else:
            self._timestamp += FRAME
            if not self._pending and now - self._voiced_at >= self._hangover:
                await self._quiet()
                if self.readyState != "live":
                    raise MediaStreamError
            wait = self._start + self._timestamp / RATE - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        pcm = self._next()
        power = float(np.mean(np.square(pcm, dtype=np.float64))) / 32768.0**2
        sent = time.time()
        if power > 0:
            self._voiced_at = sent
        self._levels.append((sent, 10 * np.log10(power) if power > 1e-10 else SILENCE))
        frame = AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.pts = self._timestamp
        frame.sample_rate = RATE
        frame.time_base = fractions.Fraction(1, RATE)
        return frame

    async def _quiet(self) -> None:
        """Send nothing until something plays, then carry on at the frame due now."""
        assert self._start is not None
        if self._woken is None:
            self._woken = asyncio.Event()
        self._woken.clear()
        await self._woken.wait()
        due = (time.time() - self._start) * RATE
        self._timestamp = max(self._timestamp, int(due // FRAME) * FRAME)
