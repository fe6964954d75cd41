"""The interview part of the report page: the verdict on top, then each question with its
answer's figures in plain words with their typical range, its content cues and what was said.
Builds what ``templates/interview.html`` shows."""

from __future__ import annotations

from dataclasses import dataclass

from analyzers.interview.advice import Tip
from analyzers.interview.answers import AnswerCues
from analyzers.interview.questions import Question
from analyzers.interview.verdict import AnswerResult, InterviewReport
from analyzers.voice.speaking_rate import pace_range
from analyzers.words.language import language_family
from locales import N_, _
from signaling.pages.format import MISSING, amount, clock, percent

ENDED = {
    "complete": N_("you finished your answer"),
    "silence": N_("you paused for a while"),
    "time": N_("the time ran out"),
    "done": N_("you said you were done"),
    "skipped": N_("you skipped it"),
    "unfinished": N_("not finished"),
}
STORY_PARTS = {
    "situation": N_("situation"),
    "task": N_("task"),
    "action": N_("action"),
    "result": N_("result"),
}


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    typical: str


@dataclass(frozen=True)
class TipView:
    text: str
    do: str
    evidence: str
    """The figure against its typical range."""
    said: str | None


@dataclass(frozen=True)
class GuideView:
    looking_for: str
    points: list[str]
    outline: list[str]
    mistakes: list[str]


@dataclass(frozen=True)
class AnswerView:
    number: int
    question: str
    tries: int
    ended: str
    replay: float | None
    """Where to seek the recording (``None``: nothing said)."""
    when: str
    rows: list[Row]
    cues: list[Row]
    text: str
    feedback: str | None
    good: TipView | None
    change: list[TipView]
    guide: GuideView | None
    advice_by: str
    """``rules`` or ``model`` (a language model's advice that held up)."""


def tip_view(tip: Tip) -> TipView:
    e = tip.evidence
    if e.value is None:  # a language model's reading: its words, no figure
        return TipView(tip.text, tip.do, "", e.said)
    value = e.value
    if isinstance(value, float) and tip.kind.startswith("eye_contact"):
        shown = percent(value)
    else:
        shown = str(value)
    evidence = _("{figure}: {value} (typical: {typical})", figure=e.figure, value=shown,
                 typical=e.typical)  # fmt: skip
    return TipView(tip.text, tip.do, evidence, e.said)


def guide_view(question: Question) -> GuideView | None:
    if not question.has_guide:
        return None
    return GuideView(question.looking_for, list(question.points), list(question.outline),
                     list(question.mistakes))  # fmt: skip


def _rows(answer: AnswerResult) -> list[Row]:
    f = answer.figures
    chinese = language_family(answer.language) == "zh"
    low, high = pace_range(120, 165, "zh" if chinese else "en")
    pace = (
        Row(_("Pace"), amount(f.words_per_min, "{n} characters a minute"),
            _("{low}-{high} is conversational", low=low, high=high))
        if chinese
        else Row(_("Pace"), amount(f.words_per_min, "{n} words a minute"),
                 _("{low}-{high} is conversational", low=low, high=high))
    )  # fmt: skip
    return [
        Row(_("Length"), amount(f.duration, "{n} s"),
            _("about {n} s suggested", n=answer.question.seconds)),
        Row(_("Before your first word"), amount(f.time_to_first_word, "{n} s", 1),
            _("5 s or less")),
        pace,
        Row(_("Filler words (嗯, 呃)") if chinese else _("Filler words (um, uh)"), str(f.fillers),
            _("a few per minute is normal")),
        Row(_("Softeners (我觉得, 可能)") if chinese else _("Softeners (I think, maybe)"),
            str(f.hedges), _("a few are natural")),
        Row(_("Longest pause"), amount(f.longest_pause, "{n} s", 1),
            _("pauses of 1-2 s read as thought")),
        Row(_("Eye contact"), percent(f.eye_contact), _("40 % or more while speaking")),
        Row(_("Tone"),
            amount(f.pitch_variation, "{n} semitones", 1) if f.pitch_variation else MISSING,
            _("2-4 semitones of variation sounds lively")),
    ]  # fmt: skip


def _cues(cues: AnswerCues | None, story: bool) -> list[Row]:
    if cues is None:
        return []
    parts = [_(STORY_PARTS.get(name, name)) for name, found in cues.star.items() if found]
    rows = [
        Row(
            _("Story (situation, task, action, result)"),
            _(", ").join(parts) or _("none heard"),
            _("all four make a clear story"),
        )
    ] if story else []  # fmt: skip
    return [
        *rows,
        Row(_("Numbers and names"),
            _("{numbers} numbers, {names} names", numbers=cues.numbers, names=cues.named_things),
            _("at least one figure makes it concrete")),
        Row(_("I and we"), _("{i} I, {we} we", i=cues.i_words, we=cues.we_words),
            _("say what you did yourself")),
        Row(_("Key points touched"), _(", ").join(cues.covered) or _("none"),
            _("missed: {points}", points=_(", ").join(cues.missed) or _("nothing"))),
    ]  # fmt: skip


def answers(interview: InterviewReport) -> list[AnswerView]:
    views = []
    for a in interview.answers:
        views.append(
            AnswerView(
                number=a.index + 1,
                question=a.question.text,
                tries=a.tries,
                ended=_(ENDED[a.reason]) if a.reason in ENDED else a.reason,
                replay=a.started_at,
                when=MISSING if a.started_at is None else clock(a.started_at),
                rows=_rows(a),
                cues=_cues(a.cues, a.question.asks_story),
                text=a.text,
                feedback=a.feedback,
                good=None if a.advice is None or a.advice.good is None else tip_view(a.advice.good),
                change=[] if a.advice is None else [tip_view(t) for t in a.advice.change],
                guide=guide_view(a.question),
                advice_by=a.advice_by,
            )
        )
    return views
