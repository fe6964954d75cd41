"""Cost of the framing and lighting measurements per analysed frame and of one posture sample,
against the face analysis they ride on: ``taskset -c 0 python -m bench.framing``."""

from __future__ import annotations

import argparse
import time

import numpy as np

from analyzers.video.face import FaceAnalyzer, FaceModels
from analyzers.video.framing import measure_framing
from analyzers.video.posture import PoseModel
from testmedia.sources import astronaut, place


def cpu_ms(call: object, calls: int) -> float:
    assert callable(call)
    started = time.process_time()
    for _ in range(calls):
        call()
    return (time.process_time() - started) / calls * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    models = FaceModels()
    image = place(astronaut())
    faces = FaceAnalyzer(models=lambda: models)
    landmarks = faces.analyze(image).landmarks
    assert landmarks is not None
    framing = [cpu_ms(lambda: measure_framing(image, landmarks), 200) for _ in range(args.runs)]
    face = [cpu_ms(lambda: faces.analyze(image), 50) for _ in range(args.runs)]
    pose = PoseModel()
    posture = [cpu_ms(lambda: pose.landmarks(image), 10) for _ in range(args.runs)]
    import mediapipe as mp

    hands = mp.solutions.hands.Hands(static_image_mode=True, max_num_hands=2, model_complexity=1)
    palms = [cpu_ms(lambda: hands.process(image), 10) for _ in range(args.runs)]
    print(
        f"framing: {np.median(framing):.2f} ms CPU per frame; face analysis (detection or "
        f"tracking, mesh) {np.median(face):.2f} ms; posture (MediaPipe Pose, complexity 1, "
        f"static image) {np.median(posture):.1f} ms per sample; MediaPipe Hands (complexity 1, "
        f"static image, no hand in view) {np.median(palms):.1f} ms; medians of {args.runs} runs, "
        "640x480"
    )


if __name__ == "__main__":
    main()
