"""Reusing the face mesh while a face looks unchanged: how often it is reused, and the error
it leaves in landmarks, eye openness and gaze, on still and moving faces.

    python -m bench.mesh_reuse [--thresholds 0.5,1,1.5,2,3]

Each sequence is consecutive full-analysis frames (5 a second) of the astronaut at 640x480 with
a camera's sensor noise: still; swaying as the load client's face does; drifting half a pixel a
frame; looking away and back (irises moved by a fifth of the eye's width, head still, every
fifth frame); blinking (eyes shut on every fifth frame). Errors are against the same analyzer
meshing every frame: landmarks as a share of the distance between the eyes, eye openness
(open ~0.3, shut ~0.1), gaze yaw in degrees, and the frames where eye contact or "eyes shut"
(openness under 0.2) came out differently.
"""

from __future__ import annotations

import argparse

import numpy as np

from analyzers.video.blinks import eye_openness
from analyzers.video.face import FaceAnalyzer
from analyzers.video.gaze import estimate_gaze
from analyzers.video.head_pose import head_pose
from loadtest.encoded_media import SENSOR_NOISE, face_frames
from testmedia.sources import astronaut, close_eyes, look_sideways, place

FRAMES = 60
OUTER_EYE_CORNERS = (33, 263)


def noisy(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    grain = rng.normal(0, SENSOR_NOISE, image.shape)
    return np.clip(image + grain, 0, 255).astype(np.uint8)


def sequences() -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(0)
    base = place(astronaut())
    with FaceAnalyzer() as analyzer:
        landmarks = analyzer.analyze(base).landmarks
    assert landmarks is not None
    away = look_sideways(base, landmarks, 0.2)
    shut = close_eyes(base, landmarks)
    drift = [place(astronaut(), centre=(0.5 + 0.5 * i / 640, 0.5)) for i in range(FRAMES)]
    return {
        "still": [noisy(base, rng) for _ in range(FRAMES)],
        "swaying (load client)": face_frames(640, 480, FRAMES * 2)[::2],
        "drifting 0.5 px a frame": [noisy(f, rng) for f in drift],
        "looking away every 5th frame": [
            noisy(away if i % 5 == 2 else base, rng) for i in range(FRAMES)
        ],
        "blinking every 5th frame": [
            noisy(shut if i % 5 == 2 else base, rng) for i in range(FRAMES)
        ],
    }


def measure(frames: list[np.ndarray], threshold: float) -> tuple[list, int]:
    with FaceAnalyzer(track_every=5, reuse_below=threshold) as analyzer:
        out = []
        for frame in frames:
            points = analyzer.analyze(frame).landmarks
            assert points is not None, "the face was lost"
            pose = head_pose(points)
            gaze = estimate_gaze(points, pose)
            out.append((points, eye_openness(points).ear, gaze.yaw, gaze.eye_contact))
        return out, analyzer.reused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--thresholds", default="0.5,1,1.5,2,3")
    args = parser.parse_args()
    print(
        "| sequence | reuse below (grey levels) | meshes reused | landmark error median / max "
        "| eye openness error max | gaze yaw error max | eye contact / eyes shut differing |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, frames in sequences().items():
        reference, _ = measure(frames, 0.0)
        for threshold in [float(t) for t in args.thresholds.split(",")]:
            got, reused = measure(frames, threshold)
            nme, ear, yaw, contact, shut = [], [], [], 0, 0
            for (p, e, y, c), (rp, re, ry, rc) in zip(got, reference, strict=True):
                eyes = float(
                    np.linalg.norm(rp[OUTER_EYE_CORNERS[0], :2] - rp[OUTER_EYE_CORNERS[1], :2])
                )
                nme.append(float(np.mean(np.linalg.norm(p[:, :2] - rp[:, :2], axis=1))) / eyes)
                ear.append(abs(e - re))
                yaw.append(abs(y - ry))
                contact += c != rc
                shut += (e < 0.2) != (re < 0.2)
            print(
                f"| {name} | {threshold:g} | {reused}/{len(frames)} | "
                f"{np.median(nme):.2%} / {max(nme):.2%} | {max(ear):.3f} | {max(yaw):.1f}° | "
                f"{contact} / {shut} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
