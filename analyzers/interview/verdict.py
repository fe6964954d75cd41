"""The interview's verdict: each answer as the report keeps it, and three strengths and three
things to work on, each with its evidence (which answer, when, the figure and its typical
range). The ranges and their sources are in ``docs/interview.md``."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from analyzers.encoding import Digits, plain
from analyzers.interview.answers import AnswerCues, AnswerFigures
from analyzers.interview.questions import Question


@dataclass(frozen=True)
class AnswerResult:
    index: int
    question: Question
    tries: int
    reason: str
    """How the answer ended: ``silence``, ``time``, ``done`` or ``skipped``."""
    asked_at: Annotated[float, Digits(2)]
    started_at: Annotated[float | None, Digits(2)]
    ended_at: Annotated[float | None, Digits(2)]
    text: str
    """What was said (empty without transcripts)."""
    figures: AnswerFigures
    cues: AnswerCues | None
    """``None`` without a transcript."""
    feedback: str | None = None
    """A language model's feedback, when one is configured and the session allows it."""


@dataclass(frozen=True)
class Evidence:
    question: int
    """The answer's index (0-based)."""
    t: Annotated[float | None, Digits(1)]
    figure: str
    value: Annotated[float | str | None, Digits(2)]
    typical: str


@dataclass(frozen=True)
class Point:
    kind: str
    text: str
    evidence: Evidence


@dataclass(frozen=True)
class Check:
    kind: str
    figure: str
    typical: str
    value: Callable[[AnswerResult], float | None]
    good: Callable[[float], bool]
    bad: Callable[[float], bool]
    strength: str
    work_on: str


def _fig(name: str) -> Callable[[AnswerResult], float | None]:
    def read(answer: AnswerResult) -> float | None:
        value: Any = getattr(answer.figures, name)
        return None if value is None else float(value)

    return read


STORY_QUESTION = re.compile(
    r"\b(a time|an example|tell me about (a|the|an)|describe (a|the)|walk me through)\b"
    r"|讲一次|讲讲|经历|例子|介绍一个",
    re.IGNORECASE,
)
"""Questions that ask for a story (behavioural ones), where STAR structure applies."""


def _star(answer: AnswerResult) -> float | None:
    if answer.cues is None or not STORY_QUESTION.search(answer.question.text):
        return None
    return float(sum(answer.cues.star.values()))


def _numbers(answer: AnswerResult) -> float | None:
    return None if answer.cues is None else float(answer.cues.numbers)


def _coverage(answer: AnswerResult) -> float | None:
    cues, covers = answer.cues, answer.question.covers
    return None if cues is None or not covers else len(cues.covered) / len(covers)


def _fillers(answer: AnswerResult) -> float | None:
    minutes = answer.figures.duration / 60
    return None if minutes < 0.25 else answer.figures.fillers / minutes


CHECKS: tuple[Check, ...] = (
    Check("pace", "words per minute", "120-160", _fig("words_per_min"),
          lambda v: 120 <= v <= 165, lambda v: v > 185 or v < 95,
          "A comfortable pace", "Your pace"),
    Check("fillers", "filler words per minute", "under 3", _fillers,
          lambda v: v < 3, lambda v: v > 6,
          "Few filler words", "Filler words (um, uh)"),
    Check("eye_contact", "eye contact", "40 % or more while speaking", _fig("eye_contact"),
          lambda v: v >= 0.5, lambda v: v < 0.25,
          "Steady eye contact", "Eye contact"),
    Check("first_word", "seconds before the first word", "5 s or less", _fig("time_to_first_word"),
          lambda v: v <= 5, lambda v: v > 15,
          "Started answers promptly", "Starting your answers"),
    Check("structure", "parts of a story (situation, task, action, result)", "3 or 4 of 4",
          _star, lambda v: v >= 3, lambda v: v <= 1,
          "Answers told as stories", "The shape of your answers"),
    Check("specific", "numbers given", "at least 1", _numbers,
          lambda v: v >= 2, lambda v: v == 0,
          "Specific, with figures", "Being specific"),
    Check("coverage", "share of the key points touched", "half or more", _coverage,
          lambda v: v >= 0.67, lambda v: v < 0.34,
          "Covered what the question asked", "Covering the question"),
    Check("voice", "pitch variation (semitones)", "2-4", _fig("pitch_variation"),
          lambda v: v >= 2.0, lambda v: v < 1.3,
          "A lively voice", "Varying your tone"),
)  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    strengths: list[Point]
    work_on: list[Point]


def _text(check: Check, answer: AnswerResult, value: float, good: bool) -> str:
    if check.kind in ("eye_contact", "coverage"):
        shown = f"{round(value * 100)} %"
    elif value.is_integer() or value >= 10:
        shown = f"{value:.0f}"
    else:
        shown = f"{value:.1f}"
    head = check.strength if good else check.work_on
    return (
        f"{head}: {shown} {check.figure} in your answer to question {answer.index + 1} "
        f"(typical: {check.typical})."
    )


def verdict(answers: Sequence[AnswerResult]) -> Verdict:
    """At most three of each: for each check, the answer that shows it best (a strength when
    most answers are in the good range) or worst (to work on when any is in the bad range)."""
    strengths: list[Point] = []
    work_on: list[Point] = []
    answered = [a for a in answers if a.reason != "skipped"]
    for check in CHECKS:
        seen = [(a, v) for a in answered if (v := check.value(a)) is not None]
        if not seen:
            continue
        bad = [(a, v) for a, v in seen if check.bad(v)]
        good = [(a, v) for a, v in seen if check.good(v)]
        if bad:
            answer, value = bad[0]
            work_on.append(_point(check, answer, value, False))
        elif len(good) * 2 > len(seen):
            answer, value = good[0]
            strengths.append(_point(check, answer, value, True))
    return Verdict(strengths[:3], work_on[:3])


def _point(check: Check, answer: AnswerResult, value: float, good: bool) -> Point:
    evidence = Evidence(answer.index, answer.started_at, check.figure, value, check.typical)
    return Point(check.kind, _text(check, answer, value, good), evidence)


@dataclass(frozen=True)
class InterviewReport:
    """The report's ``interview``: each question's latest answer, and the verdict."""

    answers: list[AnswerResult]
    verdict: Verdict

    @classmethod
    def of(cls, answers: Sequence[AnswerResult]) -> InterviewReport:
        return cls(list(answers), verdict(answers))

    def to_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = plain(self)
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InterviewReport:
        def answer(a: dict[str, Any]) -> AnswerResult:
            q = a["question"]
            return AnswerResult(
                **{
                    **a,
                    "question": Question(q["id"], q["text"], q["seconds"], tuple(q["covers"])),
                    "figures": AnswerFigures(**a["figures"]),
                    "cues": None if a.get("cues") is None else AnswerCues(**a["cues"]),
                }
            )

        def point(p: dict[str, Any]) -> Point:
            return Point(p["kind"], p["text"], Evidence(**p["evidence"]))

        v = data["verdict"]
        return cls(
            [answer(a) for a in data["answers"]],
            Verdict([point(p) for p in v["strengths"]], [point(p) for p in v["work_on"]]),
        )
