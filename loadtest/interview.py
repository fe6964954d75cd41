"""Interview mode under load: ``python -m loadtest.interview --peers 2,4 --duration 90``.

Each headless peer creates an interview (three questions, voice on, transcripts as the server
has them, no language model), replays a real face (VP8, encoded once) and, when a question has
been said, an answer (espeak-ng speech in Opus, encoded once) followed by silence, so that the
answer ends by voice activity; on its feedback it asks for the next question. The server runs
as its own process on core 0 (``--server-cpu``), the peers here.

Reported per run: the server's CPU per peer-second and memory, the 95th percentile of frame to
result (the live analysis under interview load), the time from ``answer.ended`` to
``answer.feedback`` (the feedback waits for the answer's last words to be transcribed) and from
the answer's last word to its feedback (the answer ends about a second after it when the
end-of-turn model judges it complete, ``LENS_INTERVIEW_END_SILENCE`` after it when not), and
how many answers were fed back, and of them how many came with their words (``complete``) and
how many first without them (the words came after ``TRANSCRIPT_WAIT``).

``--language zh``: a Chinese interview (Chinese questions, heard as Mandarin by
``LENS_ASR_MODEL_ZH``), each answer F5-TTS's real Mandarin speaker (its one sentence, twice).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from analyzers import AUDIO_RATE
from loadtest.capacity import cpu_seconds, rss_mb, start_server, wait_ready
from loadtest.encoded_media import (
    AUDIO_TIME_BASE,
    VIDEO_TIME_BASE,
    EncodedMedia,
    ReplayTrack,
    encode,
    speech_samples,
)
from loadtest.peer import ClientPeer
from loadtest.run import percentile
from testmedia import f5

QUESTIONS = {
    "en": [
        "Tell me about yourself.",
        "Tell me about a project you are proud of.",
        "Why do you want this job?",
    ],
    "zh": ["请简单介绍一下你自己。", "请讲一个你引以为豪的项目。", "你为什么想要这份工作？"],  # noqa: RUF001
}
PTIME = 60


def opus_packets(samples: np.ndarray) -> list[tuple[bytes, int]]:
    opus = av.CodecContext.create("libopus", "w")
    opus.sample_rate, opus.layout, opus.format = 48_000, "mono", "s16"
    opus.bit_rate = 32_000
    opus.options = {"frame_duration": str(PTIME)}
    size = 48 * PTIME
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    pcm = np.concatenate([pcm, np.zeros((-pcm.size) % size, np.int16)])
    packets = []
    for i in range(0, pcm.size, size):
        frame = av.AudioFrame.from_ndarray(
            pcm[i : i + size].reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate, frame.pts, frame.time_base = 48_000, i, AUDIO_TIME_BASE
        packets += [(bytes(p), size) for p in opus.encode(frame)]
    return packets


class AnswerReplay(MediaStreamTrack):
    """Opus silence, and the answer's packets once each time :meth:`say` is called."""

    kind = "audio"

    def __init__(self, silence: list[tuple[bytes, int]], answer: list[tuple[bytes, int]]) -> None:
        super().__init__()
        self._silence, self._answer = silence, answer
        self._queue: list[tuple[bytes, int]] = []
        self._index = 0
        self._pts = 0
        self._start: float | None = None
        self.started_at: float | None = None
        """Unix time of the first packet: media time ``t`` was sent at ``started_at + t``."""

    def say(self) -> None:
        self._queue = list(self._answer)

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
            self.started_at = time.time()
        delay = self._start + float(self._pts * AUDIO_TIME_BASE) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if self._queue:
            payload, duration = self._queue.pop(0)
        else:
            payload, duration = self._silence[self._index % len(self._silence)]
            self._index += 1
        packet = av.Packet(payload)
        packet.pts, packet.time_base = self._pts, AUDIO_TIME_BASE
        self._pts += duration
        return packet


@dataclass
class InterviewResult:
    error: str | None = None
    latencies_ms: list[float] = field(default_factory=list)
    feedback_s: list[float] = field(default_factory=list)
    """From ``answer.ended`` to ``answer.feedback``."""
    after_last_word_s: list[float] = field(default_factory=list)
    """From the answer's last word (its end, on the peer's own audio clock) to the feedback."""
    answers: int = 0
    incomplete: int = 0
    """Feedback sent before the answer's last words were transcribed."""


Packets = list[tuple[bytes, int]]


async def run_peer(
    url: str,
    media: EncodedMedia,
    answer: Packets,
    silence: Packets,
    duration: float,
    language: str = "en",
    *,
    llm: bool = False,
) -> InterviewResult:
    result = InterviewResult()
    video = ReplayTrack("video", media.video, VIDEO_TIME_BASE)
    mic = AnswerReplay(silence, answer)
    ended: dict[int, float] = {}
    last_word: dict[int, float] = {}

    def arrived(message: dict[str, Any]) -> None:
        now = time.time()
        kind = message.get("type")
        if kind == "video.frame" and video.started_at is not None:
            result.latencies_ms.append((now - message["received_at"]) * 1000)
        elif kind == "question":
            delay = message["speaking_seconds"] + 1.0
            asyncio.get_running_loop().call_later(delay, mic.say)
        elif kind == "answer.ended":
            ended[message["index"]] = now
            if mic.started_at is not None:
                last_word[message["index"]] = mic.started_at + message["t"]
        elif kind == "answer.feedback":
            if message["index"] in ended:
                result.feedback_s.append(now - ended[message["index"]])
            if message["index"] in last_word:
                result.after_last_word_s.append(now - last_word[message["index"]])
            if not message.get("complete", True):
                result.incomplete += 1
            else:
                result.answers += 1
                peer.send({"type": "question.next", "index": message["index"]})

    peer = ClientPeer(url, [video, mic], on_message=arrived, heartbeat=1.0)
    try:
        async with aiohttp.ClientSession() as http:
            interview = {"questions": QUESTIONS[language], "think_seconds": 10}
            body = {"interview": {**interview, "language": language, "llm": llm}}
            async with http.post(f"{url}/api/sessions", json=body) as response:
                created = await response.json()
                if response.status != 201:
                    raise RuntimeError(f"session: {response.status} {created}")
            peer.session_id = created["session_id"]
            await peer.connect(http)
        await asyncio.sleep(duration)
        peer.send({"type": "end"})
        await asyncio.sleep(0.5)
    except Exception as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:300]
    finally:
        await peer.close()
    return result


def answer_samples(language: str) -> np.ndarray:
    """An answer at 48 kHz: espeak-ng's English (7 s), or a real Mandarin speaker."""
    if language == "en":
        return speech_samples(8.0)[: 48_000 * 7]
    said = f5.recording(f5.MANDARIN)
    twice = np.concatenate([said, np.zeros(AUDIO_RATE // 2, np.float32), said])
    return np.interp(np.arange(twice.size * 3) / 3, np.arange(twice.size), twice).astype(np.float32)


async def one_run(peers: int, args: argparse.Namespace, media: EncodedMedia) -> dict[str, Any]:
    answer = opus_packets(answer_samples(args.language))
    silence = opus_packets(np.zeros(48_000, np.float32))
    with tempfile.TemporaryDirectory() as data_dir:
        server = start_server("lens", args.port, args.server_cpu, data_dir)
        url = f"http://127.0.0.1:{args.port}"
        try:
            await wait_ready(url, "lens")
            idle = rss_mb(server.pid)
            tasks = []
            for _ in range(peers):
                tasks.append(
                    asyncio.create_task(
                        run_peer(url, media, answer, silence, args.duration, args.language)
                    )
                )
                await asyncio.sleep(args.ramp / max(1, peers))
            await asyncio.sleep(10.0)
            cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
            await asyncio.sleep(max(5.0, args.duration - args.ramp - 15.0))
            cpu1, t1 = cpu_seconds(server.pid), time.monotonic()
            loaded = rss_mb(server.pid)
            results = await asyncio.gather(*tasks)
        finally:
            server.terminate()
            server.wait(120)
    latencies = [v for r in results for v in r.latencies_ms]
    delays = [v for r in results for v in r.feedback_s]
    after = [v for r in results for v in r.after_last_word_s]
    return {
        "peers": peers,
        "failed": sum(1 for r in results if r.error),
        "errors": [r.error for r in results if r.error][:3],
        "cpu_ms_per_peer_s": round((cpu1 - cpu0) / (t1 - t0) / peers * 1000, 1),
        "core_busy": round((cpu1 - cpu0) / (t1 - t0), 3),
        "rss_idle_mb": round(idle, 1),
        "rss_per_peer_mb": round((loaded - idle) / peers, 1),
        "frame_to_result_p95_ms": percentile(latencies, 95),
        "language": args.language,
        "answers": sum(r.answers for r in results),
        "fed_back_before_the_words": sum(r.incomplete for r in results),
        "feedback_p50_s": percentile(delays, 50),
        "feedback_p95_s": percentile(delays, 95),
        "after_last_word_p50_s": percentile(after, 50),
        "after_last_word_p95_s": percentile(after, 95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtest.interview", description=__doc__)
    parser.add_argument("--peers", default="2,4")
    parser.add_argument("--duration", type=float, default=90.0)
    parser.add_argument("--ramp", type=float, default=6.0)
    parser.add_argument("--port", type=int, default=8190)
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--language", choices=sorted(QUESTIONS), default="en")
    args = parser.parse_args()
    media = encode(seconds=12, ptime=PTIME)
    for peers in (int(p) for p in args.peers.split(",")):
        print(json.dumps(asyncio.run(one_run(peers, args, media))), flush=True)


if __name__ == "__main__":
    main()
