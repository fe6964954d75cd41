"""The report as a page a person reads at a glance: headline figures, timelines, the expression
distribution and a talk/pause bar as inline SVG, what was said, the review beside the recording
and the comparison with earlier sessions. This module builds what the template
(``templates/report.html``) shows; the template writes the HTML."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from analyzers.session.report import Report
from locales import N_, _, activate, locale_of_language
from signaling.pages.cards import cards
from signaling.pages.charts import (
    EXPRESSION_COLOURS,
    Bar,
    LineChart,
    Moments,
    bar,
    line_chart,
    moments,
)
from signaling.pages.format import change, percent
from signaling.pages.interview import answers
from signaling.pages.render import standalone
from signaling.pages.review import LONG_PAUSE_S, long_pauses, review

TEMPLATE = "report.html"
ENDINGS = {
    "ended": N_("you ended it"),
    "max_duration": N_("it reached the longest a session may last"),
    "server_shutdown": N_("the server was restarting; everything up to then is here"),
    "worker_lost": N_("the server running it stopped; everything up to its last save is here"),
    "heartbeat_timeout": N_("the connection was lost"),
    "channel_closed": N_("the page was closed"),
    "connection_closed": N_("the connection closed"),
    "connection_failed": N_("the connection failed"),
    "upload": N_("a recorded file"),
}


def ending(report: Report) -> str:
    """How the session ended, in words."""
    if report.source == "upload":
        return _(ENDINGS["upload"])
    if report.end_reason in ENDINGS:
        return _(ENDINGS[report.end_reason])
    return _("it ended ({reason})", reason=report.end_reason.replace("_", " "))


def marked_moments(report: Report) -> Moments | None:
    """The coach's tips, the filler words (um, uh: the ones the report counts) and the long
    pauses, along the session; only the kinds this session could have."""
    lanes: dict[str, list[tuple[float, float, str]]] = {}
    if report.source == "live":
        lanes[_("Tips from the coach")] = [(n.t, 0.0, _(n.text)) for n in report.nudges]
    if report.transcript is not None:
        lanes[_("Filler words")] = [
            (w.start, max(0.0, w.end - w.start), w.word)
            for u in report.transcript
            for w in u.words
            if w.filler == "filled"
        ]
    if report.timeline.audio is not None:
        lanes[_("Pauses of {n} s or more", n=f"{LONG_PAUSE_S:g}")] = [
            (start, seconds, _("a pause of {n} s", n=f"{seconds:.0f}"))
            for start, seconds in long_pauses(report)
        ]
    t = report.timeline.t
    if not lanes or not t:
        return None
    span = t[-1] + report.timeline.bin_seconds
    return moments(_("Moments to look at"), span, lanes)


def charts(report: Report) -> list[LineChart | Bar | Moments]:
    """The moments worth a look, the timelines over the session, then the shares."""
    s, tl = report.summary, report.timeline
    t = tl.t
    found: list[LineChart | Bar | Moments | None] = [marked_moments(report)]
    if tl.video is not None:
        video = tl.video
        found.append(
            line_chart(
                _("Face in view and eye contact"),
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
                _("Which way your head faced (degrees)"),
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
                    _("Light on your face and your size in the picture"),
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
                    _("How far your shoulders were off level (degrees)"),
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
                _("Speaking (share of each moment)"),
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
                _("Loudness (dB; speech is usually -30 to -15)"),
                t,
                {"rms_dbfs": audio.rms_dbfs},
                -60,
                0,
                " dB",
            )
        )
        found.append(
            line_chart(_("Voice pitch (Hz)"), t, {"pitch_hz": audio.pitch_hz}, 50, 400, " Hz")
        )
    if s.expression is not None and s.expression.distribution:
        found.append(bar(_("Expression"), s.expression.distribution, EXPRESSION_COLOURS))
    if s.talk_ratio is not None:
        found.append(
            bar(
                _("Talking and silence"),
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
            _(
                "Your face was in view {share} of the time: the figures about your face and "
                "eyes come from that part only.",
                share=percent(q.face_visible_ratio),
            )
        )
    if q.transcript_seconds_missing >= 1:
        said.append(
            _(
                "{n} s of your speech could not be written down in time: words, fillers and "
                "pace leave that part out.",
                n=f"{q.transcript_seconds_missing:.0f}",
            )
        )
    if report.voices is not None:
        said.append(
            _(
                "Two voices were heard. Words, pace, fillers and softening words are yours: "
                "the voice heard {which} ({share} of the speech), the other's lines are marked "
                "in the transcript. Talking time, pauses, pitch and loudness mix both voices.",
                which=_("most") if report.voices.candidate == "most" else _("least"),
                share=percent(report.voices.candidate_share),
            )
        )
    if q.audio_frames_dropped or q.messages_dropped or q.analysis_errors:
        said.append(
            _("The server fell behind for moments, and a little of the session was not analysed.")
        )
    return said or [_("All of the session was measured.")]


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


def words_locale(report: Report) -> str:
    """The language a report is shown in when no one chose: its interview's, else the spoken
    language's."""
    answers = report.interview.answers if report.interview else []
    return locale_of_language(answers[0].language if answers else report.language)


def report_file(report: Report, locale: str | None = None) -> str:
    """The page as a file that stands alone (``server.py analyze``), in ``locale`` (default:
    the language of the interview, else English)."""
    chosen = locale or words_locale(report)
    with activate(chosen):
        return standalone(TEMPLATE, context(report))
