"""The report as a page a person reads at a glance: headline figures, timelines, the expression
distribution and a talk/pause bar as inline SVG, what was said, the review beside the recording
and the comparison with earlier sessions. This module builds what the template
(``templates/report.html``) shows; the template writes the HTML."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from analyzers.session.report import Report
from signaling.pages import typical
from signaling.pages.charts import (
    EXPRESSION_COLOURS,
    Bar,
    LineChart,
    Moments,
    bar,
    line_chart,
    moments,
)
from signaling.pages.format import MISSING, change, number, percent
from signaling.pages.interview import answers
from signaling.pages.render import standalone
from signaling.pages.review import LONG_PAUSE_S, long_pauses, review

TEMPLATE = "report.html"
ENDINGS = {
    "ended": "you ended it",
    "max_duration": "it reached the longest a session may last",
    "server_shutdown": "the server was restarting; everything up to then is here",
    "worker_lost": "the server running it stopped; everything up to its last save is here",
    "heartbeat_timeout": "the connection was lost",
    "channel_closed": "the page was closed",
    "connection_closed": "the connection closed",
    "connection_failed": "the connection failed",
    "upload": "a recorded file",
}


def ending(report: Report) -> str:
    """How the session ended, in words."""
    if report.source == "upload":
        return ENDINGS["upload"]
    return ENDINGS.get(report.end_reason, f"it ended ({report.end_reason.replace('_', ' ')})")


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    note: str


def cards(report: Report) -> list[Card]:
    """The headline figures, each with a word on what it means."""
    s = report.summary
    pauses, rate, pitch = s.pauses, s.speaking_rate, s.pitch
    loudness = s.loudness
    found = [
        Card(
            "Eye contact",
            percent(s.eye_contact_ratio),
            f"of the time your face was in view; {typical.EYE_CONTACT}",
        ),
        Card("Head steadiness", percent(s.head_stability), "100 % is perfectly still"),
        Card(
            "Blinks",
            number(s.blinks_per_min, " a minute"),
            typical.BLINKS,
        ),
        Card(
            "Mostly",
            (s.expression.dominant if s.expression else None) or MISSING,
            "facial expression",
        ),
        Card("Talking", percent(s.talk_ratio), "of the session"),
        Card(
            "Pauses",
            MISSING if pauses is None else str(pauses.count),
            f"{number(pauses.mean_s if pauses else None, ' s', 1)} on average; {typical.PAUSES}",
        ),
        Card(
            "Pace",
            number(rate.wpm if rate else None, " words a minute"),
            f"{typical.PACE}; "
            f"{'counted from your words' if rate and rate.wpm_from == 'words' else 'estimated'}",
        ),
        Card(
            "Voice pitch",
            number(pitch.mean_hz if pitch else None, " Hz"),
            f"varies {number(pitch.std_semitones if pitch else None, ' semitones', 1)}; "
            f"{typical.PITCH_VARIATION}",
        ),
        Card(
            "Voice energy",
            s.arousal.label if s.arousal else MISSING,
            "how much your pitch and loudness vary: calm, neutral or animated",
        ),
        Card(
            "Loudness",
            number(loudness.mean_dbfs if loudness else None, " dB"),
            typical.LOUDNESS,
        ),
    ]
    if s.framing is not None:
        issues = {k: v for k, v in s.framing.issues.items() if v >= 0.1}
        worst = sorted(issues.items(), key=lambda kv: -kv[1])[:2]
        found.append(
            Card(
                "Camera and light",
                "good" if not worst else worst[0][0].replace("_", " "),
                ", ".join(f"{k.replace('_', ' ')} {percent(v)} of the time" for k, v in worst)
                or "framed and lit well",
            )
        )
    if s.posture is not None:
        p = s.posture
        found.append(
            Card(
                "Posture",
                f"slumped {percent(p.slumped_ratio)}" if p.slumped_ratio else "upright",
                f"shoulders tilted {number(p.shoulder_tilt, '°', 1)} on average; hand over the "
                f"face {p.hand_over_face_episodes} time(s)",
            )
        )
    if s.language is not None:
        words = s.language
        top = ", ".join(f"{w} ({n})" for w, n in words.top_fillers) or "none"
        found += [
            Card(
                "Filler words (um, uh)",
                number(words.fillers_per_min, " a minute", 1),
                f"{typical.FILLERS}; {words.fillers} in all"
                + (f": {top}" if words.fillers else "")
                + f"; discourse fillers (like, you know): {words.discourse_fillers}",
            ),
            Card(
                "Hedges",
                str(words.hedges),
                ", ".join(f"{w} ({n})" for w, n in words.top_hedges) or "none",
            ),
            Card(
                "Longest answer",
                number(words.longest_monologue_s, " s"),
                f"{words.words} words in all",
            ),
        ]
    return found


def marked_moments(report: Report) -> Moments | None:
    """The coach's tips, the filler words (um, uh: the ones the report counts) and the long
    pauses, along the session; only the kinds this session could have."""
    lanes: dict[str, list[tuple[float, float, str]]] = {}
    if report.source == "live":
        lanes["Tips from the coach"] = [(n.t, 0.0, n.text) for n in report.nudges]
    if report.transcript is not None:
        lanes["Filler words"] = [
            (w.start, max(0.0, w.end - w.start), w.word)
            for u in report.transcript
            for w in u.words
            if w.filler == "filled"
        ]
    if report.timeline.audio is not None:
        lanes[f"Pauses of {LONG_PAUSE_S:g} s or more"] = [
            (start, seconds, f"a pause of {seconds:.0f} s")
            for start, seconds in long_pauses(report)
        ]
    t = report.timeline.t
    if not lanes or not t:
        return None
    span = t[-1] + report.timeline.bin_seconds
    return moments("Moments to look at", span, lanes)


def charts(report: Report) -> list[LineChart | Bar | Moments]:
    """The moments worth a look, the timelines over the session, then the shares."""
    s, tl = report.summary, report.timeline
    t = tl.t
    found: list[LineChart | Bar | Moments | None] = [marked_moments(report)]
    if tl.video is not None:
        video = tl.video
        found.append(
            line_chart(
                "Face in view and eye contact",
                t,
                {"face_visible": video.face_visible, "eye_contact": video.eye_contact},
                0,
                1,
                "share",
                areas=frozenset({"face_visible"}),
            )
        )
        found.append(
            line_chart(
                "Which way your head faced (degrees)",
                t,
                {"yaw": video.yaw, "pitch": video.pitch, "roll": video.roll},
                -45,
                45,
                "°",
            )
        )
        if any(v is not None for v in video.brightness):
            found.append(
                line_chart(
                    "Light on your face and your size in the picture",
                    t,
                    {"brightness": video.brightness, "face_height": video.face_height},
                    0,
                    1,
                    "share",
                )
            )
        if any(v is not None for v in video.shoulder_tilt):
            found.append(
                line_chart(
                    "How far your shoulders were off level (degrees)",
                    t,
                    {"shoulder_tilt": video.shoulder_tilt},
                    -20,
                    20,
                    "°",
                )
            )
    if tl.audio is not None:
        audio = tl.audio
        found.append(
            line_chart(
                "Speaking (share of each moment)",
                t,
                {"talk": audio.talk},
                0,
                1,
                "share",
                areas=frozenset({"talk"}),
            )
        )
        found.append(
            line_chart(
                "Loudness (dB; speech is usually -30 to -15)",
                t,
                {"rms_dbfs": audio.rms_dbfs},
                -60,
                0,
                " dB",
            )
        )
        found.append(
            line_chart("Voice pitch (Hz)", t, {"pitch_hz": audio.pitch_hz}, 50, 400, " Hz")
        )
    if s.expression is not None and s.expression.distribution:
        found.append(bar("Expression", s.expression.distribution, EXPRESSION_COLOURS))
    if s.talk_ratio is not None:
        found.append(
            bar(
                "Talking and silence",
                {"talking": s.talk_ratio, "silent": 1 - s.talk_ratio},
                {"talking": "#2f6fed", "silent": "#d5dae3"},
            )
        )
    return [chart for chart in found if chart is not None]


def measured(report: Report) -> list[str]:
    """How well the session was measured, in plain words: what a person should know before
    trusting its figures (the counters themselves are for developers)."""
    q = report.quality
    said = []
    if q.face_visible_ratio is not None and q.face_visible_ratio < 0.5:
        said.append(
            f"Your face was in view {percent(q.face_visible_ratio)} of the time: the figures "
            "about your face and eyes come from that part only."
        )
    if q.transcript_seconds_missing >= 1:
        said.append(
            f"{q.transcript_seconds_missing:.0f} s of your speech could not be written down in "
            "time: words, fillers and pace leave that part out."
        )
    if q.audio_frames_dropped or q.messages_dropped or q.analysis_errors:
        said.append(
            "The server fell behind for moments, and a little of the session was not analysed."
        )
    return said or ["All of the session was measured."]


def compared_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each headline figure beside the mean of the person's earlier sessions
    (``analyzers.session.progress.compare``), its change in words."""
    return [
        {
            **row,
            "change_text": change(
                row["change"], row["unit"], row["improved"], row.get("beyond_noise", True)
            ),
        }
        for row in rows
    ]


def context(report: Report, compared: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """Everything ``report.html`` shows of ``report``, with how it ``compared`` with the
    person's earlier sessions."""
    return {
        "report": report,
        "cards": cards(report),
        "charts": charts(report),
        "transcript": report.transcript,
        "review": review(report),
        "interview": report.interview,
        "interview_answers": [] if report.interview is None else answers(report.interview),
        "compared": compared_rows(compared),
        "compared_sessions": max((row["sessions"] for row in compared), default=0),
        "measured": measured(report),
        "quality": [
            (k.replace("_", " "), round(v, 2) if isinstance(v, float) else v)
            for k, v in asdict(report.quality).items()
        ],
        "minutes": report.duration / 60,
        "ending": ending(report),
        "data": report.to_dict(),
        "inline_css": None,
        "standalone": False,
        "retention_days": None,  # how long recordings are kept, when the server says
    }


def report_file(report: Report) -> str:
    """The page as a file that stands alone (``server.py analyze``)."""
    return standalone(TEMPLATE, context(report))
