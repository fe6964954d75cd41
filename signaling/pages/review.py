"""The report page's review: the session's recording played beside its analysis. A cursor moves
across every timeline as the video plays; clicking a chart, a transcript line, a marked word or
an event seeks the video there. The recording and the timelines share one clock (media seconds
from each track's first frame, ``webrtc/peer/recording.py``)."""

from __future__ import annotations

from html import escape

from analyzers.session.report import Report

EVENT_TEXT = {
    "face_out_of_view": "face out of view",
    "eye_contact_lost": "looking away",
    "pause": "long pause",
}


def _clock(t: float) -> str:
    return f"{int(t // 60)}:{int(t % 60):02d}"


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
    if timeline.audio is not None:
        quiet_since: float | None = None
        spoke = False
        for ts, talk in zip(t, timeline.audio.talk, strict=False):
            if talk is not None and talk > 0.1:
                if spoke and quiet_since is not None and ts - quiet_since >= 3.0:
                    found.append((quiet_since, "pause"))
                spoke, quiet_since = True, None
            elif quiet_since is None:
                quiet_since = ts
    return sorted(found)


def review_section(report: Report) -> str:
    """The player and the events, when the session was recorded; nothing otherwise."""
    recording = report.recording
    if not recording or not recording.get("bytes"):
        return ""
    items = "".join(
        f'<li><button type="button" data-t="{ts:.2f}">{_clock(ts)} '
        f"{escape(EVENT_TEXT[code])}</button></li>"
        for ts, code in events(report)
    )
    listing = f'<ol class="events">{items}</ol>' if items else ""
    blinks = report.timeline.video.blinks if report.timeline.video is not None else []
    if blinks:
        # Folded: a person blinks 15-20 times a minute, each one a place to check.
        marks = "".join(
            f'<li><button type="button" data-t="{t:.2f}">{int(t // 60)}:{t % 60:04.1f}'
            "</button></li>"
            for t in blinks
        )
        listing += (
            f'<details class="blinks"><summary>Each of your {len(blinks)} blinks, to check '
            f'on the recording</summary><ol class="events">{marks}</ol></details>'
        )
    note = (
        f'<p class="note">The recording stopped early: {escape(recording["error"])}</p>'
        if recording.get("state") == "failed"
        else ""
    )
    source = f"/api/sessions/{escape(report.session_id)}/recording"
    return f"""<section aria-label="Review"><h2>Watch yourself</h2>
<video id="review" controls playsinline preload="metadata" data-src="{source}"
  aria-label="Your recording"></video>{note}
<p class="note">Click a chart, a line of what you said or an event to jump there.</p>
{listing}</section>
<style>
#review {{ width: 100%; max-height: 60vh; background: #000; border-radius: 8px; }}
.events {{ list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem; }}
.events button {{ min-height: 44px; border: 1px solid #c9ced8; background: #fff;
  border-radius: 6px; padding: .3rem .6rem; cursor: pointer; }}
svg.chart {{ cursor: pointer; }} .cursor {{ stroke: #d93025; stroke-width: 1.5; }}
[data-t] {{ cursor: pointer; }}
</style>
<script src="/static/js/review.js" defer></script>"""
