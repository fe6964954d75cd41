"""What a video bitrate costs the analysis: face landmarks and eye openness on VP8 video at several
bitrates, against the same frames uncompressed, and the packets each bitrate makes.

    python -m bench.video_bitrate [--bitrates 150,250,400,600,1000] [--fps 10] [--seconds 10]

The frames are the load client's webcam (``loadtest.encoded_media.face_frames``): the astronaut at
640x480, swaying a few pixels, with sensor noise (what makes a real camera's encoder spend its whole
budget, where a still image costs almost nothing). They are encoded the way a browser does in a call
(libvpx, realtime, speed 6, no look-ahead, the bitrate as the target), decoded, and meshed; the
error is the landmarks' distance from the uncompressed frame's, as a share of the distance between
the eyes (the normalised mean error of face-alignment papers), and the eye-openness ratio's
difference (what blinks are read from). Packets per second assume 1,200 bytes of payload each.
"""

from __future__ import annotations

import argparse
import math
import statistics
from fractions import Fraction

import av
import numpy as np

from analyzers.video.blinks import eye_openness
from analyzers.video.face import FaceAnalyzer
from loadtest.encoded_media import BROWSER_FPS, SENSOR_NOISE, face_frames

PAYLOAD = 1200
OUTER_EYE_CORNERS = (33, 263)


def through_vp8(
    frames: list[np.ndarray], fps: int, kbps: int
) -> tuple[list[np.ndarray], list[int]]:
    """The frames after VP8 at ``kbps``, and each encoded frame's size in bytes."""
    height, width = frames[0].shape[:2]
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base = Fraction(1, fps)
    encoder.framerate = Fraction(fps, 1)
    encoder.bit_rate = kbps * 1000
    encoder.options = {"deadline": "realtime", "cpu-used": "6", "lag-in-frames": "0"}
    decoder = av.CodecContext.create("libvpx", "r")
    out: list[np.ndarray] = []
    sizes: list[int] = []
    packets = []
    for i, image in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        packets += encoder.encode(frame)
    packets += encoder.encode(None)
    for packet in packets:
        sizes.append(packet.size)
        out += [f.to_ndarray(format="rgb24") for f in decoder.decode(packet)]
    return out, sizes


def measure(analyzer: FaceAnalyzer, frames: list[np.ndarray]) -> list[np.ndarray | None]:
    return [analyzer.analyze(frame).landmarks for frame in frames]


def errors(
    reference: list[np.ndarray | None], compressed: list[np.ndarray | None]
) -> tuple[list[float], list[float], int]:
    nme, ear = [], []
    lost = 0
    for ref, got in zip(reference, compressed, strict=True):
        if ref is None:
            continue
        if got is None:
            lost += 1
            continue
        eyes = float(np.linalg.norm(ref[OUTER_EYE_CORNERS[0], :2] - ref[OUTER_EYE_CORNERS[1], :2]))
        nme.append(float(np.mean(np.linalg.norm(got[:, :2] - ref[:, :2], axis=1))) / eyes)
        ear.append(abs(eye_openness(got).ear - eye_openness(ref).ear))
    return nme, ear, lost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bitrates", default="150,250,400,600,1000")
    parser.add_argument("--fps", type=int, default=BROWSER_FPS)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--noise", type=float, default=SENSOR_NOISE)
    args = parser.parse_args()
    frames = face_frames(640, 480, args.fps * args.seconds, args.noise)
    with FaceAnalyzer() as analyzer:
        reference = measure(analyzer, frames)
        print(
            "| target kbps | sent kbps | packets/s | landmark error, % of eye distance "
            "(median / p95) | eye openness error (median / max) | frames without a face |"
        )
        print("|---|---|---|---|---|---|")
        for kbps in [int(b) for b in args.bitrates.split(",")]:
            decoded, sizes = through_vp8(frames, args.fps, kbps)
            nme, ear, lost = errors(reference, measure(analyzer, decoded))
            seconds = len(sizes) / args.fps
            sent = sum(sizes) * 8 / seconds / 1000
            packets = sum(math.ceil(s / PAYLOAD) for s in sizes) / seconds
            p95 = float(np.percentile(nme, 95))
            print(
                f"| {kbps} | {sent:.0f} | {packets:.0f} | {statistics.median(nme):.2%} / "
                f"{p95:.2%} | {statistics.median(ear):.3f} / {max(ear):.3f} | {lost} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
