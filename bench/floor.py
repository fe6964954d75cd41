"""The floor: CPU per peer of decoding and analysing the load test's media, offline, in a loop.

    python -m bench.floor [--seconds 60] [--runs 3] [--transcript tiny.en]

The same packets the load client replays (VP8 640x480 at 10 fps and Opus speech, encoded once)
go through the decoders aiortc uses and the server's own stream core (the sampling grid, the
full analysis and the eye probe, resampling and the audio chain with its summaries: the code
every path runs), with no network, no event loop and no threads in between. Prints the median
CPU milliseconds per second of media over ``--runs`` runs, in total and per part (with
``--transcript``, the utterances are also recognised, as one more part). Server CPU per
peer under load, divided by this, is the cost of everything else: RTP, SRTP, DTLS, SCTP, asyncio
and scheduling.
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

from analyzers.words.recognition import SpeechClip, SpeechRecognizer, WhisperRecognizer, transcribe
from loadtest.encoded_media import VIDEO_TIME_BASE, EncodedMedia, encode
from modelfiles.registry import ASR_MODELS, FER_MINI_XCEPTION, ModelRegistry
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.frame_queues import MediaClock
from webrtc.runtime.frames import AvImage, audio_frames, video_stream

PARTS = ("video decode", "video analysis", "audio decode", "audio analysis", "transcription")


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


def run_once(
    media: EncodedMedia,
    seconds: float,
    config: PipelineConfig,
    recognizer: SpeechRecognizer | None = None,
) -> dict[str, float]:
    """CPU milliseconds per second of media, per part and in total; with ``recognizer``, the
    utterances the stream core cut are transcribed too (merged as the server merges them)."""
    clips: list[SpeechClip] = []
    clock = _Clock()
    video, audio = video_stream(config), audio_frames(config)
    vp8, opus = Vp8Decoder(), OpusDecoder()
    video_clock, audio_clock = MediaClock(), MediaClock()
    width = config.max_analysis_width
    try:
        for packet in _loop(media.video, seconds, VIDEO_TIME_BASE):
            with clock.part("video decode"):
                frames = vp8.decode(packet)
            for frame in frames:
                assert isinstance(frame, av.VideoFrame)
                with clock.part("video analysis"):
                    video.feed(video_clock.seconds(frame), AvImage(frame, width))
        for packet in _loop(media.audio, seconds, Fraction(1, 48_000)):
            with clock.part("audio decode"):
                decoded = [f for f in opus.decode(packet) if isinstance(f, av.AudioFrame)]
            for frame in decoded:
                with clock.part("audio analysis"):
                    clips += audio.feed(frame, audio_clock.seconds(frame)).clips
        clips += audio.end().clips
        if recognizer is not None:
            with clock.part("transcription"):
                transcribe(recognizer, clips, "en")
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
    parser.add_argument(
        "--transcript",
        metavar="MODEL",
        help="also transcribe what was said with this model (tiny.en, base)",
    )
    args = parser.parse_args()
    registry = ModelRegistry()
    config = PipelineConfig(expression_model_path=registry.path(FER_MINI_XCEPTION))
    recognizer = None
    if args.transcript:
        recognizer = WhisperRecognizer(registry.bundle(ASR_MODELS[args.transcript]))
    media = encode()
    run_once(media, 2.0, config, recognizer)  # warm up: model loading and first-call costs
    runs = [run_once(media, args.seconds, config, recognizer) for _ in range(args.runs)]
    medians = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    if args.json:
        print(json.dumps({k: round(v, 2) for k, v in medians.items()}))
        return
    print(f"CPU ms per second of media, median of {args.runs} runs of {args.seconds:.0f} s:")
    for key, value in medians.items():
        print(f"  {key:15} {value:7.1f}")


if __name__ == "__main__":
    main()
