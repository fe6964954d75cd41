"""The report page's charts and words on a session whose truth is made by hand: time axes at
round times in minutes and seconds, the moments worth a look (the coach's tips, the "um"s and
"uh"s, the pauses of 3 s or more) where they happened, and how well it was measured in plain
words, the counters folded away."""

from __future__ import annotations

from dataclasses import replace

import pytest

from analyzers.session.report import NudgeRecord, Quality, Report
from analyzers.session.stream import AudioFinal
from analyzers.session.timeline import AudioPoint
from analyzers.words.language import Utterance, Word
from signaling.pages.charts import time_ticks
from signaling.pages.report import charts, marked_moments, measured, report_file
from tests.analyzers.test_report import AUDIO_SUMMARY, live_report


def talk_then_silence() -> Report:
    """90 s: talk for 10 s, quiet for 5 s, talk to 60 s, quiet to the end; one "um" at 20 s,
    one "like" (a discourse filler, not counted as an um) at 30 s, one tip at 40 s."""
    points = [
        AudioPoint(t / 2, not (10 <= t / 2 < 15 or t / 2 >= 60), -20.0, 120.0) for t in range(180)
    ]
    words = (
        Word("So", 19.5, 19.8, 0.9),
        Word("um", 20.0, 20.4, 0.9, filler="filled"),
        Word("like", 30.0, 30.3, 0.9, filler="discourse"),
    )
    return live_report(
        None,
        AudioFinal(AUDIO_SUMMARY, points, 0.5),
        Quality(audio_seconds=90.0),
        transcript=[Utterance(19.5, 30.3, "So um like", "en", words)],
        nudges=[NudgeRecord(40.0, "slow_down", "Slow down")],
    )


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (25.0, ["0:00", "0:05", "0:10", "0:15", "0:20", "0:25"]),
        (90.0, ["0:00", "0:15", "0:30", "0:45", "1:00", "1:15", "1:30"]),
        (600.0, ["0:00", "2:00", "4:00", "6:00", "8:00", "10:00"]),
        (3000.0, ["0:00", "10:00", "20:00", "30:00", "40:00", "50:00"]),
    ],
)
def test_time_axes_mark_round_times_in_minutes_and_seconds(
    span: float, expected: list[str]
) -> None:
    ticks = time_ticks(span, lambda t: t)
    labels = [t.label for t in ticks]
    assert len(labels) <= 7, f"at most six steps on a {span} s axis, got {labels}"
    assert labels[: len(expected)] == expected[: len(labels)], (span, labels)
    assert [t.x for t in ticks] == sorted(t.x for t in ticks)


def test_moments_mark_the_tips_the_ums_and_the_long_pauses_where_they_were() -> None:
    moments = marked_moments(talk_then_silence())
    assert moments is not None
    lanes = {lane.label: lane for lane in moments.lanes}
    assert list(lanes) == [
        "Tips from the coach (1)",
        "Filler words (1)",
        "Pauses of 3 s or more (1)",
    ], "the discourse 'like' is not an um; the silence at the end is no pause between speech"
    tip, um, pause = (lanes[name].marks[0] for name in lanes)
    assert (tip.t, tip.text) == (40.0, "0:40 Slow down")
    assert (um.t, um.text) == (20.0, "0:20 um")
    assert pause.t == pytest.approx(10.0, abs=1.0) and "pause of 5 s" in pause.text, pause
    assert tip.x < moments.width - moments.pad and um.x < tip.x


def test_the_charts_speak_in_units_people_know() -> None:
    page = report_file(talk_then_silence())
    assert "rms dbfs" not in page and "rms_dbfs" not in page.split("report-data")[0]
    assert "Loudness (dB; speech is usually -30 to -15)" in page
    assert "Speaking (share of each moment)" in page and "100 %" in page
    assert ">1:30<" in page or ">1:15<" in page, "a time axis in minutes and seconds"
    assert "min</text>" not in page, "no bare '1.5 min' axis end"
    line_charts = [c for c in charts(talk_then_silence()) if hasattr(c, "ticks")]
    assert line_charts and all(c.ticks[0].label == "0:00" for c in line_charts)


def test_how_well_it_was_measured_is_said_in_words() -> None:
    report = talk_then_silence()
    assert measured(report) == ["All of the session was measured."]
    worse = replace(
        report,
        quality=Quality(
            face_visible_ratio=0.3, transcript_seconds_missing=4.2, audio_frames_dropped=7
        ),
    )
    said = " ".join(measured(worse))
    assert "in view 30 % of the time" in said and "4 s of your speech" in said, said
    assert "fell behind" in said, said
    page = report_file(worse)
    assert "The counters (for developers)" in page, "the counters folded away"
