"""A headless client peer for tests: sends real video and audio to the server over WebRTC and
collects every message that comes back on the ``analysis`` data channel.

Also runnable as a process (``python -m loadtest.peer URL``) so a test can kill it with SIGKILL:
a peer that vanishes without a goodbye.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import aiohttp
import av
import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamTrack, VideoStreamTrack

AUDIO_SEND_RATE = 48_000
AUDIO_FRAME_SAMPLES = 960  # 20 ms


class StillsTrack(VideoStreamTrack):
    """Plays RGB frames in a loop at 30 fps; ``frames`` may be switched while playing."""

    def __init__(self, frames: Sequence[np.ndarray], *, hold: int = 1) -> None:
        super().__init__()
        self.frames = list(frames)
        self.hold = hold
        self._index = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        image = self.frames[(self._index // self.hold) % len(self.frames)]
        self._index += 1
        frame = av.VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = pts, time_base
        return frame


class SamplesTrack(AudioStreamTrack):
    """Plays mono float32 samples at 48 kHz in 20 ms frames, looping."""

    def __init__(self, samples: np.ndarray) -> None:
        super().__init__()
        pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)
        pad = (-pcm.size) % AUDIO_FRAME_SAMPLES
        self._pcm = np.concatenate([pcm, np.zeros(pad, np.int16)])
        self._offset = 0
        self._clock_start: float | None = None
        self._sent = 0
        self.started_at: float | None = None
        """Unix time the first frame was handed to the sender: media time 0."""

    async def recv(self) -> av.AudioFrame:
        loop = asyncio.get_running_loop()
        if self._clock_start is None:
            self._clock_start = loop.time()
            self.started_at = time.time()
        wait = self._clock_start + self._sent / AUDIO_SEND_RATE - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        chunk = self._pcm[self._offset : self._offset + AUDIO_FRAME_SAMPLES]
        self._offset = (self._offset + AUDIO_FRAME_SAMPLES) % self._pcm.size
        frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = AUDIO_SEND_RATE
        frame.pts = self._sent
        frame.time_base = Fraction(1, AUDIO_SEND_RATE)
        self._sent += AUDIO_FRAME_SAMPLES
        return frame


class AnswerTrack(SamplesTrack):
    """Silence until told to :meth:`say` something (mono float32 at 48 kHz), then silence
    again: a candidate who answers when asked; after :meth:`hear_back`, the interviewer's voice
    comes back into the microphone too, as from a loudspeaker with no echo canceller."""

    def __init__(self) -> None:
        super().__init__(np.zeros(AUDIO_FRAME_SAMPLES, np.float32))
        self._queue: list[np.ndarray] = []
        self._echo: list[np.ndarray] | None = None
        self._echo_gain = 0.0
        self._echoed = 0
        self._echo_pending = np.zeros(0, np.int16)

    def hear_back(self, heard: list[np.ndarray], gain: float = 0.3) -> None:
        """Mix what the peer hears (``ClientPeer.heard``, filled as it arrives) back into the
        microphone at ``gain``."""
        self._echo, self._echo_gain, self._echoed = heard, gain, len(heard)

    def _echo_chunk(self) -> np.ndarray | None:
        if self._echo is None:
            return None
        fresh = self._echo[self._echoed :]
        self._echoed += len(fresh)
        if fresh:
            self._echo_pending = np.concatenate([self._echo_pending, *fresh])
        chunk = self._echo_pending[:AUDIO_FRAME_SAMPLES]
        self._echo_pending = self._echo_pending[AUDIO_FRAME_SAMPLES:]
        if chunk.size < AUDIO_FRAME_SAMPLES:
            chunk = np.concatenate([chunk, np.zeros(AUDIO_FRAME_SAMPLES - chunk.size, np.int16)])
        return chunk

    def say(self, samples: np.ndarray) -> float:
        """Queue speech; its seconds."""
        pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16)
        self._queue.append(pcm)
        return pcm.size / AUDIO_SEND_RATE

    async def recv(self) -> av.AudioFrame:
        frame = await super().recv()  # paced silence
        echo = self._echo_chunk()
        if self._queue or echo is not None:
            chunk = np.zeros(AUDIO_FRAME_SAMPLES, np.int16)
            if self._queue:
                head = self._queue[0]
                take = min(AUDIO_FRAME_SAMPLES, head.size)
                chunk[:take] = head[:take]
                self._queue[0] = head[take:]
                if not self._queue[0].size:
                    self._queue.pop(0)
            if echo is not None:
                mixed = chunk.astype(np.int32) + (echo * self._echo_gain).astype(np.int32)
                chunk = np.clip(mixed, -32768, 32767).astype(np.int16)
            speech = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            speech.sample_rate, speech.pts, speech.time_base = (
                frame.sample_rate,
                frame.pts,
                frame.time_base,
            )
            return speech
        return frame


class ClientPeer:
    """One client session: offer, answer, then messages until closed."""

    def __init__(
        self,
        base_url: str,
        tracks: Sequence[MediaStreamTrack],
        *,
        heartbeat: float | None = 1.0,
        on_message: Callable[[dict[str, Any]], None] | None = None,
        session_id: str | None = None,
        token: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tracks = list(tracks)
        self.heartbeat = heartbeat
        self.messages: list[dict[str, Any]] = []
        """Every message received, ``chunk`` messages reassembled."""
        self.wire_sizes: list[int] = []
        self.chunked = 0
        self._chunks: dict[int, dict[int, str]] = {}
        self.session_id: str | None = session_id
        self.token = token
        self.pc = RTCPeerConnection()
        self.channel = self.pc.createDataChannel("analysis")
        self._on_message = on_message
        self._arrived = asyncio.Event()
        self._heartbeat_task: asyncio.Task[None] | None = None
        self.channel_open = asyncio.Event()
        self.channel.on("open", self.channel_open.set)
        self.channel.on("message", self._message)
        self.heard: list[np.ndarray] = []
        """Audio the server sent (the interviewer's voice), mono int16 at 48 kHz."""
        self._listening: asyncio.Task[None] | None = None
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio" and self._listening is None:
            self._listening = asyncio.create_task(self._listen(track))

    async def _listen(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(Exception):
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.AudioFrame)
                pcm = frame.to_ndarray().reshape(-1, len(frame.layout.channels))
                self.heard.append(pcm[:, 0].astype(np.int16))

    def _message(self, raw: str | bytes) -> None:
        self.wire_sizes.append(len(raw))
        message = json.loads(raw)
        if message.get("type") == "chunk":
            parts = self._chunks.setdefault(message["id"], {})
            parts[message["index"]] = message["data"]
            if len(parts) < message["count"]:
                return
            del self._chunks[message["id"]]
            message = json.loads("".join(parts[i] for i in range(message["count"])))
            self.chunked += 1
        self.messages.append(message)
        if self._on_message is not None:
            self._on_message(message)
        self._arrived.set()

    async def connect(
        self, http: aiohttp.ClientSession, *, receive_only: bool = False
    ) -> dict[str, Any]:
        """Offer, answer, wait for the channel. ``receive_only`` offers one audio m-section
        that sends nothing: a session with no media to analyse, for lifecycle tests at scale."""
        if receive_only:
            self.pc.addTransceiver("audio", direction="recvonly")
        for track in self.tracks:
            # Audio both ways: an interview session speaks its questions back on it.
            direction = "sendrecv" if track.kind == "audio" else "sendonly"
            self.pc.addTransceiver(track, direction=direction)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        local = self.pc.localDescription
        offer = {"sdp": local.sdp, "type": local.type}
        if self.session_id is not None:
            offer["session_id"] = self.session_id
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        async with http.post(f"{self.base_url}/api/offer", json=offer, headers=headers) as response:
            body = await response.json()
            if response.status != 200:
                raise RuntimeError(f"offer failed: {response.status} {body}")
        self.session_id = body["session_id"]
        await self.pc.setRemoteDescription(RTCSessionDescription(body["sdp"], body["type"]))
        await asyncio.wait_for(self.channel_open.wait(), 15)
        if self.heartbeat:
            self._heartbeat_task = asyncio.create_task(self._ping_forever(self.heartbeat))
        return body

    def send(self, message: dict[str, Any]) -> None:
        self.channel.send(json.dumps(message))

    async def _ping_forever(self, period: float) -> None:
        n = 0
        while self.channel.readyState == "open":
            # Named so that a test's own pings (and their pongs) cannot be taken for these.
            self.channel.send(json.dumps({"type": "ping", "id": f"heartbeat-{n}"}))
            n += 1
            await asyncio.sleep(period)

    async def wait_for(
        self,
        predicate: Callable[[dict[str, Any]], bool],
        timeout: float = 20.0,
        what: str = "a matching message",
    ) -> dict[str, Any]:
        """The first message (already received or yet to come) that matches. After
        ``timeout`` seconds without one, an :class:`AssertionError` says what was awaited and
        what came instead."""

        async def first() -> dict[str, Any]:
            seen = 0
            while True:
                for message in self.messages[seen:]:
                    if predicate(message):
                        return message
                seen = len(self.messages)
                self._arrived.clear()
                await self._arrived.wait()

        try:
            return await asyncio.wait_for(first(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"waited {timeout:g} s for {what}; instead: {self.received()}"
            ) from None

    def received(self, last: int = 3) -> str:
        """What came so far, for failure messages: counts by type and the last few."""
        counts = Counter(str(m.get("type")) for m in self.messages)
        tail = [json.dumps(m)[:200] for m in self.messages[-last:]]
        return f"{len(self.messages)} messages {dict(counts)}, the last: {tail}"

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("type") == kind]

    async def close(self) -> None:
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat_task
        for track in self.tracks:
            track.stop()
        if self._listening is not None:
            self._listening.cancel()
        await self.pc.close()


async def _run_forever(url: str, count: int, receive_only: bool) -> None:
    from testmedia.sources import astronaut, place

    peers = []
    async with aiohttp.ClientSession() as http:
        for _ in range(count):
            tracks: list[MediaStreamTrack] = []
            if not receive_only:
                tone = 0.1 * np.sin(2 * np.pi * 220 * np.arange(AUDIO_SEND_RATE) / AUDIO_SEND_RATE)
                tracks = [StillsTrack([place(astronaut())]), SamplesTrack(tone.astype(np.float32))]
            peer = ClientPeer(url, tracks)
            body = await peer.connect(http, receive_only=receive_only)
            peers.append(peer)
            print(json.dumps({"session_id": body["session_id"]}), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--receive-only", action="store_true")
    args = parser.parse_args()
    asyncio.run(_run_forever(args.url, args.count, args.receive_only))
    sys.exit(0)
