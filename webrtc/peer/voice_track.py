"""The interviewer's voice as an outgoing WebRTC audio track: 20 ms frames of 48 kHz mono,
paced in real time, silence between questions. The browser plays it like any remote audio,
and its echo canceller removes it from the microphone."""

from __future__ import annotations

import asyncio
import fractions
import time
from collections import deque

import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from webrtc.runtime.speech_synthesis import RATE

FRAME = RATE // 50
"""Samples in one 20 ms frame."""


class VoiceTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._pending: deque[np.ndarray] = deque()
        self._start: float | None = None
        self._timestamp = 0

    def play(self, pcm: np.ndarray) -> float:
        """Queue ``pcm`` (int16, 48 kHz mono) after what is playing, replacing nothing; the
        seconds until it has played."""
        queued = sum(len(p) for p in self._pending)
        self._pending.append(pcm.astype(np.int16, copy=False))
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

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            self._timestamp += FRAME
            wait = self._start + self._timestamp / RATE - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = AudioFrame.from_ndarray(self._next().reshape(1, -1), format="s16", layout="mono")
        frame.pts = self._timestamp
        frame.sample_rate = RATE
        frame.time_base = fractions.Fraction(1, RATE)
        return frame
