"""The report page's review: the session's recording played beside its analysis. A cursor moves
across every timeline as the video plays; clicking a chart, a transcript line, a marked word or
an event seeks the video there (``static/js/review.js``). The recording and the timelines share
one clock (media seconds from each track's first frame, ``webrtc/peer/recorder.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from analyzers.session.report import Report
from locales import N_, _

EVENT_TEXT = {
    "face_out_of_view": N_("face out of view"),
    "eye_contact_lost": N_("looking away"),
    "pause": N_("long pause"),
}


LONG_PAUSE_S = 3.0
"""A silence between speech this long or longer is marked: longer than a pause for thought
(0.5-2 s), where a listener starts to wonder."""


def long_pauses(report: Report) -> list[tuple[float, float]]:
    """Silences of ``LONG_PAUSE_S`` or more between speech, as (start, seconds), from the
    timeline's bins (a bin counts as speech when a tenth of it was)."""
    timeline = report.timeline
    if timeline.audio is None:
        return []
    found = []
    quiet_since: float | None = None
    spoke = False
    for ts, talk in zip(timeline.t, timeline.audio.talk, strict=False):
        if talk is not None and talk > 0.1:
            if spoke and quiet_since is not None and ts - quiet_since >= LONG_PAUSE_S:
                found.append((quiet_since, ts - quiet_since))
            spoke, quiet_since = True, None
        elif quiet_since is None:
            quiet_since = ts
    return found


def events(report: Report) -> list[tuple[float, str]]:
    """Where something worth a look began: the face leaving the picture, eye contact lost
    (bins with a face where it held less than half the time), and silences of 3 s or more
    between speech."""
    timeline = report.timeline
    t, found = timeline.t, []
    if timeline.video is not None:
        video = timeline.video
        for code, values in (
            ("face_out_of_view", [None if v is None else v < 0.5 for v in video.face_visible]),
            ("eye_contact_lost", [None if v is None else v < 0.5 for v in video.eye_contact]),
        ):
            found += [
                (t[i], code) for i, on in enumerate(values) if on and not (i and values[i - 1])
            ]
    found += [(start, "pause") for start, _ in long_pauses(report)]
    return sorted(found)


@dataclass(frozen=True)
class Review:
    source: str
    events: list[tuple[float, str]]
    blinks: list[float]
    error: str | None


def review(report: Report) -> Review | None:
    """What the review shows, when the session was recorded; ``None`` otherwise."""
    recording = report.recording
    if not recording or not recording.get("bytes"):
        return None
    blinks = report.timeline.video.blinks if report.timeline.video is not None else []
    return Review(
        source=f"/api/sessions/{report.session_id}/recording",
        events=[(t, _(EVENT_TEXT[code])) for t, code in events(report)],
        blinks=list(blinks),
        error=recording.get("error") if recording.get("state") == "failed" else None,
    )
