"""One analysis session: a peer connection, its tracks and pipelines, its data channel and the
watchdog that closes it when the peer leaves, fails or goes silent.

Everything a session starts (tasks, executor threads, the peer connection) is released by
:meth:`AnalysisSession.close`, which is idempotent and safe to call from any of its own tasks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiortc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from webrtc.channel import CHANNEL_LABEL, ResultChannel
from webrtc.config import PipelineConfig
from webrtc.pipeline import AudioPipeline, VideoPipeline
from webrtc.protocol import ServerMessage, SessionClosed, SessionReady, Summary
from webrtc.tracks import TapTrack, drain

log = logging.getLogger(__name__)


class AnalysisSession:
    def __init__(
        self,
        session_id: str,
        config: PipelineConfig,
        on_closed: Callable[[AnalysisSession], None],
    ) -> None:
        self.id = session_id
        self.config = config
        self.created_at = time.time()
        self.state = "new"
        self.close_reason: str | None = None
        self._loop = asyncio.get_running_loop()
        self._started = self._loop.time()
        self._on_closed = on_closed
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing: asyncio.Task[None] | None = None
        self._closed = asyncio.Event()
        self.channel: ResultChannel | None = None
        self.video: VideoPipeline | None = None
        self.audio: AudioPipeline | None = None
        self.extra_tracks = 0
        self.pc = RTCPeerConnection()
        self.pc.on("datachannel", self._on_datachannel)
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_connection_state)

    def clock(self) -> float:
        """Seconds since the session started: ``t`` of messages not tied to a track."""
        return round(self._loop.time() - self._started, 3)

    async def answer(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        """Apply the client's offer and return the answer with every ICE candidate gathered."""
        self.state = "connecting"
        self._spawn(self._watch(), "watchdog")
        self._spawn(self._summaries(), "summaries")
        await self.pc.setRemoteDescription(offer)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        local = self.pc.localDescription
        assert local is not None
        return local

    def send(self, message: ServerMessage) -> None:
        if self.channel is not None:
            self.channel.send(message)

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(coro, name=f"lens-{self.id}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "session %s: task %s failed", self.id, task.get_name(), exc_info=task.exception()
            )

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if channel.label != CHANNEL_LABEL or self.channel is not None:
            log.info("session %s: ignoring data channel %r", self.id, channel.label)
            channel.close()
            return
        self.channel = ResultChannel(
            channel, self.id, max_buffered_bytes=self.config.max_buffered_bytes, clock=self.clock
        )
        channel.on("close", lambda: self.request_close("channel_closed"))

        def opened() -> None:
            self.state = "active"
            self.send(
                SessionReady(
                    self.id,
                    self.clock(),
                    heartbeat_interval=self.config.heartbeat_interval,
                    heartbeat_timeout=self.config.heartbeat_timeout,
                    video_fps=self.config.video_fps,
                    audio_window_ms=self.config.audio_window_ms,
                )
            )

        if channel.readyState == "open":
            opened()
        else:
            channel.on("open", opened)

    def _on_track(self, track: MediaStreamTrack) -> None:
        tap: MediaStreamTrack = track
        if track.kind == "video" and self.video is None:
            self.video = VideoPipeline(self.id, self.config, self.send)
            tap = TapTrack(track, self.video.slot.put)
            self._spawn(self.video.run(), "video")
        elif track.kind == "audio" and self.audio is None:
            self.audio = AudioPipeline(self.id, self.config, self.send)
            tap = TapTrack(track, self.audio.queue.put)
            self._spawn(self.audio.run(), "audio")
        else:
            # Analyse one track of each kind; drain the others so they cannot pile up.
            self.extra_tracks += 1
        self._spawn(drain(tap), f"drain-{track.kind}-{track.id[:8]}")

    def _on_connection_state(self) -> None:
        state = self.pc.connectionState
        log.info("session %s: connection %s", self.id, state)
        if state in ("failed", "closed"):
            self.request_close(f"connection_{state}")

    async def _watch(self) -> None:
        period = min(1.0, self.config.heartbeat_interval / 2)
        while True:
            await asyncio.sleep(period)
            now = self._loop.time()
            channel = self.channel
            if channel is None or not channel.is_open:
                if now - self._started > self.config.connect_timeout:
                    self.request_close("connect_timeout")
                    return
            elif now - channel.last_seen > self.config.heartbeat_timeout:
                self.request_close("heartbeat_timeout")
                return

    async def _summaries(self) -> None:
        """A ``summary`` every ``summary_interval`` seconds once there is something to sum up."""
        while True:
            await asyncio.sleep(self.config.summary_interval)
            video = self.video.summary if self.video is not None else None
            audio = self.audio.summary if self.audio is not None else None
            if video is not None or audio is not None:
                self.send(Summary.from_results(self.id, self.clock(), video, audio))

    def request_close(self, reason: str) -> None:
        """Close from a callback or one of the session's own tasks, without waiting."""
        if self._closing is None:
            self._closing = asyncio.create_task(self._close(reason), name=f"lens-{self.id}-close")

    async def close(self, reason: str) -> None:
        self.request_close(reason)
        assert self._closing is not None
        await asyncio.shield(self._closing)

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def _close(self, reason: str) -> None:
        self.close_reason = reason
        self.state = "closing"
        log.info("session %s: closing (%s)", self.id, reason)
        try:
            self.send(SessionClosed(self.id, self.clock(), reason))
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.channel is not None:
                self.channel.close()
            await self.pc.close()
            for pipeline in (self.video, self.audio):
                if pipeline is not None:
                    await pipeline.close()
        except Exception:
            log.exception("session %s: error while closing", self.id)
        finally:
            self.state = "closed"
            self._closed.set()
            self._on_closed(self)
