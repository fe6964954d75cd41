"""The report as a page a person reads at a glance: headline figures, timelines, the expression
distribution and a talk/pause bar as inline SVG, what was said, the review beside the recording
and the comparison with earlier sessions. This module builds what the template
(``templates/report.html``) shows; the template writes the HTML."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from analyzers.session.report import Report
from analyzers.voice.speaking_rate import pace_range
from analyzers.words.language import language_family
from locales import N_, _, activate, locale_of_language
from signaling.pages import typical
from signaling.pages.charts import (
    EXPRESSION_COLOURS,
    EXPRESSION_NAMES,
    Bar,
    LineChart,
    Moments,
    bar,
    line_chart,
    moments,
)
from signaling.pages.format import MISSING, amount, change, percent
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


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    note: str


def _pace(report: Report) -> Card:
    """Pace in the spoken language's units: words a minute, or characters in Mandarin."""
    rate = report.summary.speaking_rate
    family = language_family(report.language)
    wpm = rate.wpm if rate else None
    how = _("counted from your words") if rate and rate.wpm_from == "words" else _("estimated")
    if family == "zh":
        low, high = pace_range(120, 165, family)
        typical_pace = _(typical.PACE_MANDARIN, low=low, high=high)
        return Card(_("Pace"), amount(wpm, "{n} characters a minute"), f"{typical_pace}; {how}")
    return Card(_("Pace"), amount(wpm, "{n} words a minute"), f"{_(typical.PACE)}; {how}")


def cards(report: Report) -> list[Card]:
    """The headline figures, each with a word on what it means."""
    s = report.summary
    pauses, pitch = s.pauses, s.pitch
    loudness = s.loudness
    expression = (s.expression.dominant if s.expression else None) or None
    found = [
        Card(
            _("Eye contact"),
            percent(s.eye_contact_ratio),
            _("of the time your face was in view; {typical}", typical=_(typical.EYE_CONTACT)),
        ),
        Card(_("Head steadiness"), percent(s.head_stability), _("100 % is perfectly still")),
        Card(_("Blinks"), amount(s.blinks_per_min, "{n} a minute"), _(typical.BLINKS)),
        Card(
            _("Mostly"),
            _(EXPRESSION_NAMES.get(expression, expression)) if expression else MISSING,
            _("facial expression"),
        ),
        Card(_("Talking"), percent(s.talk_ratio), _("of the session")),
        Card(
            _("Pauses"),
            MISSING if pauses is None else str(pauses.count),
            _(
                "{mean} on average; {typical}",
                mean=amount(pauses.mean_s if pauses else None, "{n} s", 1),
                typical=_(typical.PAUSES),
            ),
        ),
        _pace(report),
        Card(
            _("Voice pitch"),
            amount(pitch.mean_hz if pitch else None, "{n} Hz"),
            _(
                "varies {semitones}; {typical}",
                semitones=amount(pitch.std_semitones if pitch else None, "{n} semitones", 1),
                typical=_(typical.PITCH_VARIATION),
            ),
        ),
        Card(
            _("Voice energy"),
            _(AROUSAL_NAMES.get(s.arousal.label, s.arousal.label)) if s.arousal else MISSING,
            _("how much your pitch and loudness vary: calm, neutral or animated"),
        ),
        Card(
            _("Loudness"),
            amount(loudness.mean_dbfs if loudness else None, "{n} dB"),
            _(typical.LOUDNESS),
        ),
    ]
    if s.framing is not None:
        issues = {k: v for k, v in s.framing.issues.items() if v >= 0.1}
        worst = sorted(issues.items(), key=lambda kv: -kv[1])[:2]
        found.append(
            Card(
                _("Camera and light"),
                _("good") if not worst else _(FRAMING_NAMES.get(worst[0][0], worst[0][0])),
                _("; ").join(
                    _(
                        "{issue} {share} of the time",
                        issue=_(FRAMING_NAMES.get(k, k)),
                        share=percent(v),
                    )
                    for k, v in worst
                )
                or _("framed and lit well"),
            )
        )
    if s.posture is not None:
        p = s.posture
        found.append(
            Card(
                _("Posture"),
                _("slumped {share}", share=percent(p.slumped_ratio))
                if p.slumped_ratio
                else _("upright"),
                _(
                    "shoulders tilted {degrees} on average; hand over the face {n} time(s)",
                    degrees=amount(p.shoulder_tilt, "{n}°", 1),
                    n=p.hand_over_face_episodes,
                ),
            )
        )
    if s.language is not None:
        words = s.language
        top = _(", ").join(f"{w} ({n})" for w, n in words.top_fillers) or _("none")
        chinese = language_family(report.language) == "zh"
        found += [
            Card(
                _("Filler words (嗯, 呃)") if chinese else _("Filler words (um, uh)"),
                amount(words.fillers_per_min, "{n} a minute", 1),
                _(
                    "{typical}; {n} in all",
                    typical=_(typical.FILLERS),
                    n=words.fillers,
                )
                + (f": {top}" if words.fillers else "")
                + (
                    ""
                    if chinese
                    else _("; discourse fillers (like, you know): {n}", n=words.discourse_fillers)
                ),
            ),
            Card(
                _("Hedges"),
                str(words.hedges),
                _(", ").join(f"{w} ({n})" for w, n in words.top_hedges) or _("none"),
            ),
            Card(
                _("Longest answer"),
                amount(words.longest_monologue_s, "{n} s"),
                _("{n} characters in all", n=words.words)
                if chinese
                else _("{n} words in all", n=words.words),
            ),
        ]
    return found


AROUSAL_NAMES = {"calm": N_("calm"), "neutral": N_("neutral"), "animated": N_("animated")}
FRAMING_NAMES = {
    "no_face": N_("no face"),
    "cut_off": N_("cut off"),
    "too_dark": N_("too dark"),
    "backlit": N_("backlit"),
    "washed_out": N_("washed out"),
    "blurry": N_("blurry"),
    "too_close": N_("too close"),
    "too_far": N_("too far"),
    "off_centre": N_("off centre"),
    "too_low": N_("too low"),
}


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
