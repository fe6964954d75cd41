"""The interview part of the report page: the verdict on top, then each question with its
answer's figures in plain words with their typical range, its content cues and what was said.
Builds what ``templates/interview.html`` shows."""

from __future__ import annotations

from dataclasses import dataclass

from analyzers.interview.advice import Tip
from analyzers.interview.answers import AnswerCues
from analyzers.interview.questions import Question
from analyzers.interview.verdict import AnswerResult, InterviewReport
from signaling.pages.format import MISSING, clock, number, percent

ENDED = {
    "complete": "you finished your answer",
    "silence": "you paused for a while",
    "time": "the time ran out",
    "done": "you said you were done",
    "skipped": "you skipped it",
    "unfinished": "not finished",
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
    return TipView(tip.text, tip.do, f"{e.figure}: {shown} (typical: {e.typical})", e.said)


def guide_view(question: Question) -> GuideView | None:
    if not question.has_guide:
        return None
    return GuideView(question.looking_for, list(question.points), list(question.outline),
                     list(question.mistakes))  # fmt: skip


def _rows(answer: AnswerResult) -> list[Row]:
    f = answer.figures
    return [
        Row("Length", number(f.duration, " s"), f"about {answer.question.seconds} s suggested"),
        Row("Before your first word", number(f.time_to_first_word, " s", 1), "5 s or less"),
        Row("Pace", number(f.words_per_min, " words/min"), "120-160 is conversational"),
        Row("Filler words (um, uh)", str(f.fillers), "a few per minute is normal"),
        Row("Softeners (I think, maybe)", str(f.hedges), "a few are natural"),
        Row("Longest pause", number(f.longest_pause, " s", 1), "pauses of 1-2 s read as thought"),
        Row("Eye contact", percent(f.eye_contact), "40 % or more while speaking"),
        Row("Tone", number(f.pitch_variation, " semitones", 1) if f.pitch_variation else MISSING,
            "2-4 semitones of variation sounds lively"),
    ]  # fmt: skip


def _cues(cues: AnswerCues | None, story: bool) -> list[Row]:
    if cues is None:
        return []
    parts = [name for name, found in cues.star.items() if found]
    rows = [
        Row(
            "Story (situation, task, action, result)",
            ", ".join(parts) or "none heard",
            "all four make a clear story",
        )
    ] if story else []  # fmt: skip
    return [
        *rows,
        Row("Numbers and names", f"{cues.numbers} numbers, {cues.named_things} names",
            "at least one figure makes it concrete"),
        Row("I and we", f"{cues.i_words} I, {cues.we_words} we",
            "say what you did yourself"),
        Row("Key points touched", ", ".join(cues.covered) or "none",
            "missed: " + (", ".join(cues.missed) or "nothing")),
    ]  # fmt: skip


def answers(interview: InterviewReport) -> list[AnswerView]:
    views = []
    for a in interview.answers:
        views.append(
            AnswerView(
                number=a.index + 1,
                question=a.question.text,
                tries=a.tries,
                ended=ENDED.get(a.reason, a.reason),
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
