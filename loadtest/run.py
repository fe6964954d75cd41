"""Simulated interviewees against a running server: each creates a session, connects with
replayed media, keeps every data-channel message with its arrival time, and ends cleanly."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiortc import RTCPeerConnection, RTCSessionDescription

from loadtest.encoded_media import AUDIO_TIME_BASE, VIDEO_TIME_BASE, EncodedMedia, ReplayTrack


@dataclass
class PeerResult:
    index: int
    session_id: str | None = None
    connect_ms: float | None = None
    error: str | None = None
    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    """Every message with the Unix time it arrived."""
    video_started_at: float | None = None
    """Unix time the first video packet was sent."""

    @property
    def latencies_ms(self) -> list[float]:
        """Frame to result: the server's ``received_at`` to arrival here (one clock on loopback)."""
        return [
            (arrived - m["received_at"]) * 1000
            for arrived, m in self.messages
            if m.get("type") == "video.frame"
        ]

    @property
    def sent_to_result_ms(self) -> list[float]:
        """Frame sent (its media time on this peer's clock) to result: everything the server's
        ``received_at`` leaves out, RTP, jitter buffer, decoding and any wait before the frame
        reaches the server's track, included."""
        if self.video_started_at is None:
            return []
        return [
            (arrived - self.video_started_at - m["t"]) * 1000
            for arrived, m in self.messages
            if m.get("type") == "video.frame"
        ]


async def run_peer(
    index: int,
    url: str,
    media: EncodedMedia,
    duration: float,
    http: aiohttp.ClientSession,
    api_key: str | None = None,
    options: dict[str, Any] | None = None,
) -> PeerResult:
    """One peer for ``duration`` seconds. With ``api_key`` or session ``options`` (``POST
    /api/sessions``'s body, e.g. ``{"record": true}``), the session is created first."""
    result = PeerResult(index)
    pc = RTCPeerConnection()
    opened = asyncio.Event()
    chunks: dict[int, dict[int, str]] = {}

    def arrived(raw: str | bytes) -> None:
        message = json.loads(raw)
        if message.get("type") == "chunk":
            parts = chunks.setdefault(message["id"], {})
            parts[message["index"]] = message["data"]
            if len(parts) < message["count"]:
                return
            chunk_id, count = message["id"], message["count"]
            message = json.loads("".join(parts[i] for i in range(count)))
            del chunks[chunk_id]
        result.messages.append((time.time(), message))

    try:
        started = time.monotonic()
        offer: dict[str, Any] = {"type": "offer"}
        headers: dict[str, str] = {}
        if api_key or options is not None:
            key = {"Authorization": f"Bearer {api_key}"} if api_key else {}
            async with http.post(
                f"{url}/api/sessions", json=options or {}, headers=key
            ) as response:
                created = await response.json()
                if response.status != 201:
                    raise RuntimeError(f"session: {response.status} {created}")
            offer["session_id"] = created["session_id"]
            if created.get("token"):
                headers["Authorization"] = f"Bearer {created['token']}"
        video = ReplayTrack("video", media.video, VIDEO_TIME_BASE)
        pc.addTransceiver(video, direction="sendonly")
        pc.addTransceiver(ReplayTrack("audio", media.audio, AUDIO_TIME_BASE), direction="sendonly")
        channel = pc.createDataChannel("analysis")
        channel.on("open", opened.set)
        channel.on("message", arrived)
        await pc.setLocalDescription(await pc.createOffer())
        offer["sdp"] = pc.localDescription.sdp
        async with http.post(f"{url}/api/offer", json=offer, headers=headers) as response:
            answer = await response.json()
            if response.status != 200:
                raise RuntimeError(f"offer: {response.status} {answer.get('error')}")
        result.session_id = answer["session_id"]
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        await asyncio.wait_for(opened.wait(), 20)
        result.connect_ms = (time.monotonic() - started) * 1000
        deadline = time.monotonic() + duration
        pings = 0
        while time.monotonic() < deadline:
            channel.send(json.dumps({"type": "ping", "id": pings}))
            pings += 1
            await asyncio.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        channel.send(json.dumps({"type": "end"}))
        await asyncio.sleep(0.5)
        result.video_started_at = video.started_at
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        await pc.close()
    return result


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summarise(results: list[PeerResult], wall_seconds: float) -> dict[str, Any]:
    latencies = [v for r in results for v in r.latencies_ms]
    sent_to_result = [v for r in results for v in r.sent_to_result_ms]
    connects = [r.connect_ms for r in results if r.connect_ms is not None]
    messages = sum(len(r.messages) for r in results)
    failed = [r for r in results if r.error is not None or r.session_id is None]
    return {
        "peers": len(results),
        "connected": len(connects),
        "failed": len(failed),
        "errors": sorted({r.error for r in failed if r.error}),
        "connect_ms": {"p50": percentile(connects, 50), "p95": percentile(connects, 95)},
        "latency_ms": {q: percentile(latencies, int(q[1:])) for q in ("p50", "p95", "p99")},
        "sent_to_result_ms": {
            q: percentile(sent_to_result, int(q[1:])) for q in ("p50", "p95", "p99")
        },
        "video_frames": len(latencies),
        "messages": messages,
        "messages_per_s": round(messages / wall_seconds, 1) if wall_seconds else None,
        "wall_seconds": round(wall_seconds, 2),
    }


async def run_load(
    url: str,
    peers: int,
    duration: float,
    ramp: float,
    media: EncodedMedia,
    api_key: str | None = None,
    progress: bool = True,
    options: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[PeerResult]]:
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        tasks = []
        for i in range(peers):
            delay = ramp * i / max(1, peers - 1) if peers > 1 else 0.0
            tasks.append(
                asyncio.create_task(
                    _delayed(delay, run_peer(i, url, media, duration, http, api_key, options))
                )
            )
        reporter = asyncio.create_task(_progress(tasks, started)) if progress else None
        results = list(await asyncio.gather(*tasks))
        if reporter is not None:
            reporter.cancel()
            await asyncio.gather(reporter, return_exceptions=True)
            sys.stderr.write("\n")
    return summarise(results, time.monotonic() - started), results


async def _delayed(delay: float, coro: Any) -> PeerResult:
    await asyncio.sleep(delay)
    return await coro


async def _progress(tasks: list[asyncio.Task[PeerResult]], started: float) -> None:
    while True:
        await asyncio.sleep(1.0)
        done = [t.result() for t in tasks if t.done()]
        sys.stderr.write(
            f"\r{time.monotonic() - started:6.1f} s  peers done {len(done)}/"
            f"{len(tasks)}  failed {sum(r.error is not None for r in done)}"
        )
        sys.stderr.flush()
