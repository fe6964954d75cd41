"""A naive baseline server for load tests: analysis inline in the track's ``recv()``, on the event
loop, the way aiortc's example server transforms frames.

    python -m bench.baseline --port 8170 [--analysis inline|none]

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

from modelfiles.registry import FER_MINI_XCEPTION, ModelRegistry
from webrtc.protocol import ServerMessage, encode
from webrtc.results import VideoFrameMessage, audio_message
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.frame_queues import MediaClock
from webrtc.runtime.frames import AvImage, audio_resampler, audio_stream, resampled, video_stream

log = logging.getLogger("bench.baseline")


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
        self.stream = video_stream(peer.config) if peer.analyse else None

    async def recv(self) -> av.VideoFrame:
        frame = await self.source.recv()
        received_at = time.time()
        assert isinstance(frame, av.VideoFrame)
        if self.stream is None:
            return frame
        started = time.perf_counter()
        image = AvImage(frame, self.peer.config.max_analysis_width)
        output = self.stream.feed(self.clock.seconds(frame), image)
        if output is not None and output.result is not None:
            self.peer.send(
                VideoFrameMessage.from_result(
                    self.peer.id,
                    output.result,
                    received_at=received_at,
                    analysis_ms=round((time.perf_counter() - started) * 1000, 2),
                    frames_skipped=0,
                )
            )
        return frame


class InlineAudioTrack(MediaStreamTrack):
    kind = "audio"

    def __init__(self, source: MediaStreamTrack, peer: Peer) -> None:
        super().__init__()
        self.source, self.peer = source, peer
        self.clock = MediaClock()
        self.stream = audio_stream(peer.config) if peer.analyse else None
        self.resampler = audio_resampler()

    async def recv(self) -> av.AudioFrame:
        frame = await self.source.recv()
        received_at = time.time()
        assert isinstance(frame, av.AudioFrame)
        if self.stream is None:
            return frame
        step = self.stream.feed(resampled(self.resampler, [frame]), self.clock.seconds(frame))
        for output in step.outputs:
            message = audio_message(self.peer.id, output, received_at=received_at)
            if message is not None:
                self.peer.send(message)
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
