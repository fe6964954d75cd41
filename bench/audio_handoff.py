"""How long a speech change waits in the live audio pipeline before its event is sent, with the
packet sizes browsers send: ``python -m bench.audio_handoff [--packet-ms 60] [--phrases 20]``.

The live shell's :class:`~webrtc.runtime.pipeline.AudioPipeline` is fed decoded frames of
``--packet-ms`` (Lens asks browsers for 60 ms with ``a=ptime:60``; aiortc clients send 20 ms)
at the pace they arrive, espeak-ng phrases separated by a second of silence, on a real
analysis scheduler. For each ``speech.started`` and ``speech.stopped`` sent, the delay from the
arrival of the frame that completed it (its media time plus the detector's own onset or
hangover) to the send is taken: what the hand-off to the analysis threads adds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from analyzers import AUDIO_RATE
from testmedia.sources import phrase, resample
from webrtc.protocol import ServerMessage
from webrtc.results import SpeechStarted, SpeechStopped
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.frame_queues import StampedFrame
from webrtc.runtime.pipeline import AudioPipeline
from webrtc.runtime.scheduler import AnalysisScheduler, PerThread, RateController

RATE = 48_000


async def measure(packet_ms: int, phrases: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        speech = phrase("Thank you for having me here today", Path(tmp) / "p.wav")
    gap = np.zeros(AUDIO_RATE, np.float32)
    clip = resample(np.concatenate([gap, *([speech, gap] * phrases)]), AUDIO_RATE, RATE)
    pcm = (np.clip(clip, -1, 1) * 32767).astype(np.int16)
    config = PipelineConfig()
    scheduler: AnalysisScheduler[object] = AnalysisScheduler(
        RateController(5.0, 2.0, 0.1), PerThread(object), threads=1
    )
    sent: list[tuple[ServerMessage, float]] = []
    pipeline = AudioPipeline(
        "bench",
        config,
        lambda m: sent.append((m, time.time())),
        scheduler,  # type: ignore[arg-type]
    )
    task = asyncio.create_task(pipeline.run())
    per = RATE * packet_ms // 1000
    start = time.time()
    arrived: list[float] = []
    for offset in range(0, pcm.size - per, per):
        wait = start + offset / RATE - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        frame = av.AudioFrame.from_ndarray(
            pcm[offset : offset + per].reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate, frame.pts, frame.time_base = RATE, offset, Fraction(1, RATE)
        now = time.time()
        arrived.append(now)
        pipeline.queue.put(StampedFrame(frame, offset / RATE, now))
    await asyncio.sleep(1.0)
    task.cancel()
    scheduler.shutdown()
    delays: dict[str, list[float]] = {"speech.started": [], "speech.stopped": []}
    seconds_per_frame = packet_ms / 1000
    for message, at in sent:
        if isinstance(message, SpeechStarted | SpeechStopped):
            # The event is known once the audio past it by the detector's onset (60 ms of
            # voice) or hangover (0.15 s) has arrived: the frame holding that moment.
            known = message.t + (0.06 if isinstance(message, SpeechStarted) else 0.15)
            holding = min(len(arrived) - 1, int(known / seconds_per_frame))
            delays[message.type].append(at - arrived[holding])
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packet-ms", type=int, choices=(20, 40, 60), default=60)
    parser.add_argument("--phrases", type=int, default=20)
    args = parser.parse_args()
    delays = asyncio.run(measure(args.packet_ms, args.phrases))
    for kind, values in delays.items():
        ms = [v * 1000 for v in values]
        print(
            f"{kind}: {len(ms)} events, arrival to send median {statistics.median(ms):.0f} ms, "
            f"max {max(ms):.0f} ms ({args.packet_ms} ms packets)"
        )


if __name__ == "__main__":
    main()
