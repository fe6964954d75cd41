"""The report's headline cards: each figure of the session with a word on what it means and
what is typical, in the active locale (pace in the spoken language's units)."""

from __future__ import annotations

from dataclasses import dataclass

from analyzers.session.report import Report
from analyzers.voice.speaking_rate import pace_range
from analyzers.words.language import language_family
from locales import N_, _
from signaling.pages import typical
from signaling.pages.charts import EXPRESSION_NAMES
from signaling.pages.format import MISSING, amount, percent


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


BLINKS_NOT_MEASURED = {
    "face_too_small": N_("your face is too small in the picture (move closer)"),
    "eyes_lowered": N_("your eyes were lowered much of the time (look up at the screen)"),
    "eyes_unsteady": N_("the picture of your eyes was too grainy (light in front of you helps)"),
    "too_short": N_("your eyes were in view too briefly"),
}
"""Why blinks were not counted (``analyzers/video/blinks.py``, ``NOT_MEASURED``)."""


def _blinks(rate: float | None, not_measured: str | None) -> Card:
    """Blinks a minute, or that they were not measured and why: a wrong count is worse than
    none."""
    if rate is None and not_measured in BLINKS_NOT_MEASURED:
        return Card(_("Blinks"), _("not measured"), _(BLINKS_NOT_MEASURED[not_measured]))
    return Card(_("Blinks"), amount(rate, "{n} a minute"), _(typical.BLINKS))


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
        _blinks(s.blinks_per_min, s.blinks_not_measured),
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
    "eyes_too_small": N_("too small to count blinks"),
    "off_centre": N_("off centre"),
    "too_low": N_("too low"),
}
