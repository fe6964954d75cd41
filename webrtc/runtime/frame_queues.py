"""Frames on their way from a track to the analysis: stamped with their media time
(:class:`MediaClock`), held newest-wins for video (:class:`LatestFrameSlot`) or in a bounded
FIFO for audio (:class:`BoundedFrameQueue`), each drop counted. No WebRTC here: a tap on a
remote track (:mod:`webrtc.peer.tracks`) or a file decoder fills them."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from av import AudioFrame, VideoFrame


@dataclass(frozen=True)
class StampedFrame:
    """A decoded frame with ``t`` (seconds since the track's first frame, from pts) and
    ``received_at`` (Unix seconds when it reached the server track)."""

    frame: VideoFrame | AudioFrame
    t: float
    received_at: float


FrameSink = Callable[[StampedFrame], None]


class MediaClock:
    """Media time of frames of one track, from their pts, relative to the first frame."""

    def __init__(self) -> None:
        self._first_pts: int | None = None

    def seconds(self, frame: VideoFrame | AudioFrame) -> float:
        if frame.pts is None or frame.time_base is None:
            raise ValueError("frame has no pts/time_base")
        if self._first_pts is None:
            self._first_pts = frame.pts
        return float((frame.pts - self._first_pts) * Fraction(frame.time_base))


class LatestFrameSlot:
    """Holds the newest video frame; a frame replaced before it was taken counts as skipped."""

    def __init__(self) -> None:
        self._frame: StampedFrame | None = None
        self._ready = asyncio.Event()
        self.replaced = 0

    def put(self, frame: StampedFrame) -> None:
        if self._frame is not None:
            self.replaced += 1
        self._frame = frame
        self._ready.set()

    async def take(self) -> StampedFrame:
        await self._ready.wait()
        self._ready.clear()
        frame, self._frame = self._frame, None
        assert frame is not None
        return frame


class BoundedFrameQueue:
    """A FIFO of frames that drops its oldest entry when full, counting each drop."""

    def __init__(self, capacity: int) -> None:
        self._frames: deque[StampedFrame] = deque()
        self._capacity = capacity
        self._ready = asyncio.Event()
        self._seconds = 0.0
        self.dropped = 0

    def put(self, frame: StampedFrame) -> None:
        if len(self._frames) >= self._capacity:
            self._seconds -= _duration(self._frames.popleft().frame)
            self.dropped += 1
        self._frames.append(frame)
        self._seconds += _duration(frame.frame)
        self._ready.set()

    async def take_all(self, at_least: float = 0.0) -> list[StampedFrame]:
        """Every frame queued, once they hold ``at_least`` seconds of media (or one frame):
        a hand-off per batch, its length set by duration whatever the packet size (20 or
        60 ms of audio a frame)."""
        while not self._frames or self._seconds < at_least - 1e-6:
            self._ready.clear()
            await self._ready.wait()
        self._ready.clear()
        frames = list(self._frames)
        self._frames.clear()
        self._seconds = 0.0
        return frames


def _duration(frame: VideoFrame | AudioFrame) -> float:
    """Seconds of media in an audio frame (0 for video)."""
    if isinstance(frame, AudioFrame) and frame.sample_rate:
        return frame.samples / frame.sample_rate
    return 0.0
