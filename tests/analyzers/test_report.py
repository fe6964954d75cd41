"""The report builder and the timeline binning, on small hand-made inputs whose report can be
written down, and the settings that feed them: one default per setting."""

from __future__ import annotations

import json
from typing import Any

import pytest

from analyzers.session.report import Quality, Report, build_report
from analyzers.session.stream import AudioFinal, VideoFinal
from analyzers.session.summary import SummaryFields
from analyzers.session.timeline import (
    AudioPoint,
    VideoPoint,
    audio_timeline,
    bin_seconds,
    video_timeline,
)
from analyzers.video.blinks import Blink
from analyzers.video.summary import VideoSummary
from analyzers.voice.summary import Arousal, AudioSummary, PitchStats, SpeakingRate
from signaling.pages.report import report_file
from signaling.settings import Settings
from webrtc.runtime.config import PipelineConfig

VIDEO_SUMMARY = VideoSummary(
    window=2.5,
    face_visible_ratio=0.75,
    eye_contact_ratio=2 / 3,
    head_stability=0.91234,
    blinks_per_min=12.0,
    expression_distribution={"happy": 0.667, "neutral": 0.333},
    dominant_expression="happy",
)
AUDIO_SUMMARY = AudioSummary(
    window=3.0,
    talk_ratio=0.33333,
    pause_count=1,
    pause_mean_s=0.81234,
    pitch=PitchStats(120.04, 10.06, 30.01, 1.23456, 3.0, 0.54321),
    loudness_mean_dbfs=-20.123,
    loudness_std_db=3.456,
    speaking_rate=SpeakingRate(4.1234, 164.94, 41.256),
    arousal=Arousal("neutral", 0.71234),
)


def video_point(t: float, face: bool, contact: bool | None, yaw: float | None) -> VideoPoint:
    return VideoPoint(
        t,
        face,
        contact,
        yaw,
        0.0 if face else None,
        0.0 if face else None,
        "happy" if face else None,
    )


def test_timeline_bins_hold_their_frames_and_windows() -> None:
    points = [
        video_point(0.0, True, True, 10.0),
        video_point(0.5, True, False, 20.0),
        video_point(1.2, False, None, None),
        video_point(2.9, True, True, -5.0),
    ]
    video = video_timeline(points, 1.0, 3)
    assert video.face_visible == [1.0, 0.0, 1.0]
    assert video.eye_contact == [0.5, None, 1.0]
    assert video.yaw == [15.0, None, -5.0]
    assert video.expression == ["happy", None, "happy"]
    windows = [
        AudioPoint(0.0, True, -20.0, 100.0),
        AudioPoint(0.5, False, -40.0, None),
        AudioPoint(1.0, True, -30.0, 140.0),
    ]
    audio = audio_timeline(windows, 1.0, 3)
    assert audio.talk == [0.5, 1.0, None]
    assert audio.rms_dbfs == [-30.0, -30.0, None]
    assert audio.pitch_hz == [100.0, 140.0, None]


def test_bins_widen_to_fit_the_longest_sessions() -> None:
    assert bin_seconds(60.0) == 1.0
    assert bin_seconds(3600.0) == 12.0
    assert bin_seconds(3600.0, max_points=100) == 36.0


def live_report(
    video: VideoFinal | None, audio: AudioFinal | None, quality: Quality, **extra: Any
) -> Report:
    """The report of a live session from 101 s to 104 s with these streams."""
    return build_report(
        "a" * 32,
        source="live",
        created_at=100.0,
        started_at=101.0,
        ended_at=104.0,
        end_reason="ended",
        video=video,
        audio=audio,
        quality=quality,
        **extra,
    )


def test_report_of_hand_made_streams() -> None:
    """Duration runs to the end of the last audio window (its configured length, here 0.5 s),
    the summary is the live message's fields over the session, and the JSON keeps its shape."""
    video = VideoFinal(
        VIDEO_SUMMARY, [video_point(0.0, True, True, 1.0), video_point(2.0, True, False, 3.0)]
    )
    audio = AudioFinal(
        AUDIO_SUMMARY,
        [AudioPoint(0.0, True, -20.0, 120.0), AudioPoint(2.5, False, -50.0, None)],
        0.5,
    )
    report = live_report(
        video, audio, Quality(frames_received=30, frames_analysed=2, audio_seconds=1.0)
    )
    assert report.duration == 3.0, "last window at 2.5 s lasts 0.5 s"
    assert report.timeline.bin_seconds == 1.0 and report.timeline.t == [0.0, 1.0, 2.0]
    assert report.timeline.video is not None and report.timeline.audio is not None
    assert report.timeline.video.face_visible == [1.0, None, 1.0]
    assert report.timeline.audio.talk == [1.0, None, 0.0]
    summary = report.summary
    assert summary.eye_contact_ratio == pytest.approx(2 / 3)
    assert summary.pitch is not None and summary.pitch.std_semitones == pytest.approx(1.2346, 1e-3)
    wire = summary.to_dict()  # rounded only here, as each figure declares
    assert wire["talk_ratio"] == 0.333 and wire["pauses"] == {"count": 1, "mean_s": 0.812}
    assert wire["speaking_rate"] == {
        "wpm": 164.9,
        "wpm_from": "syllables",
        "articulation_rate": 4.12,
        "syllables_per_s": 4.12,
        "turn_seconds": 41.26,
    }
    assert wire["arousal"] == {"label": "neutral", "score": 0.712}
    assert wire["pitch"]["std_semitones"] == 1.235
    assert SummaryFields.from_dict(wire).to_dict() == wire, "JSON reads back to the same figures"
    data = report.to_dict()
    assert list(data) == [
        "v",
        "session_id",
        "source",
        "created_at",
        "started_at",
        "ended_at",
        "end_reason",
        "duration",
        "summary",
        "timeline",
        "quality",
        "transcript",
        "recording",
        "interview",
        "nudges",
        "language",
        "voices",
    ], "today's keys in today's order; transcript … language, voices: added later"
    assert data["transcript"] is None, "no transcript was asked for"
    assert list(data["timeline"]) == [
        "bin_seconds",
        "t",
        "face_visible",
        "eye_contact",
        "yaw",
        "pitch",
        "roll",
        "expression",
        "brightness",
        "face_height",
        "shoulder_tilt",
        "slumped",
        "blinks",
        "talk",
        "rms_dbfs",
        "pitch_hz",
    ], "framing's, posture's series and the blinks are compatible additions after the video's"
    assert (
        data["quality"]["frames_received"] == 30 and data["quality"]["face_visible_ratio"] is None
    )
    again = Report.from_dict(json.loads(json.dumps(data)))
    assert again.to_dict() == data, "a report read back from the store is the report that was kept"
    for key in ("brightness", "face_height", "shoulder_tilt", "slumped"):
        data["timeline"].pop(key)
    data["summary"].pop("framing")
    data["summary"].pop("posture")
    old = Report.from_dict(data)
    assert old.timeline.video is not None and old.timeline.video.brightness == [], (
        "a report stored before the framing series still reads, video timeline and all"
    )


def test_a_session_with_audio_only_has_no_video_series() -> None:
    audio = AudioFinal(
        AUDIO_SUMMARY, [AudioPoint(0.2 * i, True, -20.0, None) for i in range(10)], 0.2
    )
    report = build_report(
        "b" * 32,
        source="upload",
        created_at=0.0,
        started_at=0.0,
        ended_at=2.0,
        end_reason="file_end",
        video=None,
        audio=audio,
        quality=Quality(),
    )
    assert report.duration == 2.0
    data = report.to_dict()
    assert "face_visible" not in data["timeline"] and data["timeline"]["talk"] == [1.0, 1.0]

    assert data["summary"]["face_visible_ratio"] is None
    assert Report.from_dict(data).timeline.video is None


def test_every_setting_has_one_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pins: defaults were copied by hand into the settings, the pipeline config and the
    analyzers' options, and had drifted apart (a session limit of 0 in one, 3 h in another)."""
    for name in list(__import__("os").environ):
        if name.startswith("LENS_"):
            monkeypatch.delenv(name)
    assert Settings().pipeline() == PipelineConfig()
    monkeypatch.setenv("LENS_AUDIO_WINDOW_MS", "500")
    monkeypatch.setenv("LENS_SUMMARY_WINDOW", "60")
    config = Settings().pipeline()
    assert config.stream.audio.window_ms == 500
    assert config.stream.audio.summary_window == config.stream.video.summary_window == 60


def test_blinks_are_in_the_report_and_each_can_be_found_on_the_recording() -> None:
    """Blinks as times in the report (the middle of each closure), and on the review page one
    folded list of buttons that seek the recording there."""
    video = VideoFinal(
        VIDEO_SUMMARY,
        [video_point(0.0, True, True, 1.0), video_point(2.0, True, True, 1.0)],
        blinks=[Blink(t=0.5, duration=0.2), Blink(t=1.45, duration=0.1)],
    )
    report = live_report(
        video,
        None,
        Quality(frames_received=10, frames_analysed=2),
        recording={"bytes": 1000, "state": "done"},
    )
    assert report.timeline.video is not None and report.timeline.video.blinks == [0.6, 1.5]
    stored = Report.from_dict(report.to_dict()).timeline.video
    assert stored is not None and stored.blinks == [0.6, 1.5], "kept through the store"
    page = report_file(report)
    assert "Each of your 2 blinks" in page
    assert 'data-t="0.60">0:00.6<' in page and 'data-t="1.50">0:01.5<' in page
