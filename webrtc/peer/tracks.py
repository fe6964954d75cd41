"""Thin adapters between aiortc's remote tracks and the analysis pipelines.

A :class:`TapTrack` wraps a remote track: each ``recv()`` pulls the next decoded frame, stamps
when it reached the server and its media time, hands it to a sink and returns it unchanged.
:func:`drain` reads a track at its full rate until it ends, because aiortc's receive queue is
unbounded: a reader that falls behind means growing latency and memory. No analysis happens here.
"""

from __future__ import annotations

import logging
import time

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame

from webrtc.runtime.frame_queues import FrameSink, MediaClock, StampedFrame

log = logging.getLogger(__name__)


class TapTrack(MediaStreamTrack):
    """A server-side track that observes every frame of a remote track on its way through."""

    def __init__(self, source: MediaStreamTrack, sink: FrameSink, offset: float = 0.0) -> None:
        super().__init__()
        self.kind = source.kind
        self._source = source
        self._sink = sink
        self._clock = MediaClock()
        self._offset = offset
        """Media time of this track's first frame: a track that takes over from another of the
        same session (a page reloaded) goes on from where that one's time had got to."""
        self.frames_received = 0
        self.last_t: float | None = None
        self.last_received = 0.0

    def time_now(self, now: float) -> float:
        """Media time at Unix time ``now``, as if the track had gone on (for the next one)."""
        if self.last_t is None:
            return self._offset
        return self.last_t + max(0.0, now - self.last_received)

    async def recv(self) -> VideoFrame | AudioFrame:
        frame = await self._source.recv()
        received_at = time.time()
        if not isinstance(frame, VideoFrame | AudioFrame):
            raise MediaStreamError(f"expected decoded frames, got {type(frame).__name__}")
        self.frames_received += 1
        t = self._offset + self._clock.seconds(frame)
        self.last_t, self.last_received = t, received_at
        self._sink(StampedFrame(frame, t, received_at))
        return frame


async def drain(track: MediaStreamTrack) -> None:
    """Read ``track`` as fast as frames arrive until it ends."""
    try:
        while True:
            await track.recv()
    except MediaStreamError:
        # The track ended: reading on would spin, so stop here.
        log.debug("%s track ended", track.kind)
