"""The interview's verdict: each answer as the report keeps it (its figures, cues and advice),
and at most three strengths and three things to work on for the whole interview, each the
advice that came up in most answers, with its evidence (which answers, when, the figure and its
typical range) and what to do. The ranges and their sources are in ``docs/interview.md``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any

from analyzers.encoding import Digits, plain
from analyzers.interview.advice import Advice, Evidence, Heard, Tip, advise, tips
from analyzers.interview.advice_text import say
from analyzers.interview.answers import AnswerCues, AnswerFigures
from analyzers.interview.questions import Question
from analyzers.words.language import language_family


@dataclass(frozen=True)
class AnswerResult:
    index: int
    question: Question
    tries: int
    reason: str
    """How the answer ended: ``complete``, ``silence``, ``time``, ``done`` or ``skipped``."""
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
    language: str = "en"
    advice: Advice | None = None
    """What was good and what to change (``None`` for a skipped question)."""
    advice_by: str = "rules"
    """``rules``, or ``model`` when a language model's advice passed its checks."""

    def heard(self) -> Heard:
        return Heard(self.index, self.question, self.started_at, self.figures, self.cues,
                     self.language)  # fmt: skip

    def advised(self) -> AnswerResult:
        """This answer with the rule-based advice (none for a skipped question)."""
        if self.reason == "skipped":
            return replace(self, advice=None)
        return replace(self, advice=advise(self.heard()), advice_by="rules")


@dataclass(frozen=True)
class Point:
    kind: str
    text: str
    do: str
    evidence: Evidence
    answers: list[int]
    """Every answer (0-based) where it came up."""


@dataclass(frozen=True)
class Verdict:
    strengths: list[Point]
    work_on: list[Point]


def _where(family: str, answers: list[int]) -> str:
    if len(answers) == 1:
        return say(family, "where.one", n=answers[0] + 1)[0]
    numbers = [str(i + 1) for i in answers]
    if family == "zh":
        joined = "、".join(numbers)
    else:
        joined = ", ".join(numbers[:-1]) + " and " + numbers[-1]
    return say(family, "where.many", ns=joined)[0]


CONTENT = ("silent", "coverage", "structure", "specific", "ownership", "length")
"""Checks of what was said; the rest are of how it was said."""


def _points(found: dict[str, list[Tip]], family: str, least: int) -> list[Point]:
    """At most three, those that came up in most answers first (equal counts keep the checks'
    own order, content first), and at most two about content when delivery has one too."""
    ranked = sorted(
        ((kind, got) for kind, got in found.items() if len(got) >= least),
        key=lambda item: -len(item[1]),
    )
    content = [r for r in ranked if r[0].split(".")[0] in CONTENT]
    delivery = [r for r in ranked if r[0].split(".")[0] not in CONTENT]
    chosen = {kind for kind, _ in content[: 2 if delivery else 3] + delivery[:3]}
    points = []
    for kind, got in [r for r in ranked if r[0] in chosen][:3]:
        first = got[0]
        answers = [t.evidence.question for t in got]
        text = say(family, "where.point", where=_where(family, answers), text=first.text)[0]
        points.append(Point(kind, text, first.do, first.evidence, answers))
    return points


def verdict(answers: Sequence[AnswerResult]) -> Verdict:
    """For each check, the answers where it was a strength and where it needs work: to work on
    when it came up in any answer (most answers first), a strength when it was good in more
    than half of the answers it applied to."""
    answered = [a for a in answers if a.reason != "skipped"]
    if not answered:
        return Verdict([], [])
    family = language_family(answered[0].language)
    good: dict[str, list[Tip]] = defaultdict(list)
    bad: dict[str, list[Tip]] = defaultdict(list)
    for answer in answered:
        well, badly = tips(answer.heard())
        for tip in well:
            good[tip.kind].append(tip)
        for tip in badly:
            bad[tip.kind].append(tip)
    work_on = _points(bad, family, 1)
    worked = {p.kind.split(".")[0] for p in work_on}
    strong = {k: v for k, v in good.items() if k.split(".")[0] not in worked}
    least = len(answered) // 2 + 1
    return Verdict(_points(strong, family, least), work_on)


@dataclass(frozen=True)
class InterviewReport:
    """The report's ``interview``: each question's latest answer, and the verdict."""

    answers: list[AnswerResult]
    verdict: Verdict

    @classmethod
    def of(cls, answers: Sequence[AnswerResult]) -> InterviewReport:
        """The report of ``answers``; those without advice get the rule-based one."""
        kept = [a if a.advice is not None or a.reason == "skipped" else a.advised()
                for a in answers]  # fmt: skip
        return cls(kept, verdict(kept))

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
                    "question": Question.from_dict(q),
                    "figures": AnswerFigures(**a["figures"]),
                    "cues": None if a.get("cues") is None else _cues(a["cues"]),
                    "advice": None if a.get("advice") is None else _advice(a["advice"]),
                }
            )

        def _tip(t: dict[str, Any]) -> Tip:
            return Tip(t["kind"], t["text"], t["do"], Evidence(**t["evidence"]))

        def _advice(a: dict[str, Any]) -> Advice:
            good = a.get("good")
            return Advice(None if good is None else _tip(good), [_tip(t) for t in a["change"]])

        def _cues(c: dict[str, Any]) -> AnswerCues:
            if isinstance(c.get("star_found"), list):  # a report from before the quotes
                c = {**c, "star_found": {}}
            return AnswerCues(**c)

        def point(p: dict[str, Any]) -> Point:
            evidence = Evidence(**p["evidence"])
            answers = p.get("answers") or [evidence.question]
            return Point(p["kind"], p["text"], p.get("do", ""), evidence, answers)

        v = data["verdict"]
        return cls(
            [answer(a) for a in data["answers"]],
            Verdict([point(p) for p in v["strengths"]], [point(p) for p in v["work_on"]]),
        )
