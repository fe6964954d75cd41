"""A language model's review of one answer: the same structure as the rule-based advice (at most
one thing done well and two to change, each with its evidence and what to do) and one follow-up
question. The model is given the question's guide and what was measured, so it can say what the
rules cannot ("your example was about a team, not about you"); what it returns is checked
(:func:`analyzers.interview.advice.contradiction`) and shown only when it holds up, otherwise
the rule-based advice stands. The runtime knows only this interface; the client that calls the
operator's OpenAI-compatible endpoint lives with the services
(``signaling/services/language_model.py``), so the analysis runtime never touches the network.

What the model says is untrusted text: :func:`parse_review` keeps plain, bounded text (in time
linear in the reply: line by line, no backtracking patterns), and every page shows it escaped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from analyzers.interview.advice import Advice, Evidence, Tip
from analyzers.interview.verdict import AnswerResult
from analyzers.words.language import language_family

MAX_FEEDBACK = 600
MAX_FOLLOW_UP = 200
MAX_TIP = 200
MAX_LINES = 40
"""Lines of a reply read at most (a reply is a handful; the rest is ignored)."""


@dataclass(frozen=True)
class ReviewRequest:
    question: str
    answer: str
    """The answer's transcript."""
    language: str
    """``en`` or ``zh``: the language to answer in."""
    guide: str = ""
    """The question's guide, in words (what the interviewer looks for, key points, outline)."""
    measured: str = ""
    """What was measured of the answer, in words (the only figures the model may use)."""


@dataclass(frozen=True)
class Review:
    feedback: str
    """The review as plain text, for a page to show as it is."""
    follow_up: str | None
    """One question the interviewer asks next (``None``: the model gave none)."""
    seconds: float
    """How long the model took."""
    advice: Advice | None = None
    """The review in the advice's structure (``None``: the reply did not have it). Not yet
    checked against what was measured."""
    first_words: float | None = None
    """Seconds until the model's first words (streamed)."""


class Reviewer(Protocol):
    async def review(
        self, request: ReviewRequest, on_text: Callable[[str], None] | None = None
    ) -> Review | None:
        """The review, or ``None`` when the model is busy, slow or failing (never raises);
        ``on_text`` is told the reply so far as it streams in."""


def describe(result: AnswerResult) -> tuple[str, str]:
    """(guide, measured) of an answer, in words, for :class:`ReviewRequest`: the key points and
    the outline (what the interviewer looks for is left out: the prompt's length is the time to
    the first words, and the outline says it)."""
    q, f, c = result.question, result.figures, result.cues
    guide = []
    if q.points:
        guide.append("Key points: " + "; ".join(q.points))
    if q.outline:
        guide.append("A strong answer: " + " ".join(f"({i + 1}) {s}" for i, s in
                                                   enumerate(q.outline)))  # fmt: skip
    measured = [f"length {f.duration:.0f} s (about {q.seconds} s suggested)", f"{f.words} words"]
    if f.words_per_min is not None and language_family(result.language) == "en":
        measured.append(f"{f.words_per_min:.0f} words a minute (120-160 typical)")
    measured.append(f"{f.fillers} filler words (um, uh)")
    if f.eye_contact is not None:
        measured.append(f"eye contact {f.eye_contact:.0%} of the time")
    if c is not None:
        if q.asks_story:
            heard = [p for p, found in c.star.items() if found]
            measured.append("story parts heard: " + (", ".join(heard) or "none"))
        measured.append(f"figures given: {c.numbers}")
        if q.points:
            measured.append("key points covered: " + ("; ".join(c.covered) or "none"))
            measured.append("key points missed: " + ("; ".join(c.missed) or "none"))
    return "\n".join(guide), "; ".join(measured)


def prompt(request: ReviewRequest) -> list[dict[str, str]]:
    """The chat messages sent: the question, its guide, what was measured and what the person
    said, nothing else."""
    language = "Chinese" if request.language == "zh" else "English"
    parts = [f"Question: {request.question}"]
    if request.guide:
        parts.append(request.guide)
    if request.measured:
        parts.append(f"Measured: {request.measured}")
    parts.append(f"Answer: {request.answer}")
    return [
        {
            "role": "system",
            "content": (
                "You are a friendly job interview coach. Reply in "
                f"{language} with exactly these lines and nothing else:\n"
                "Good: one thing the answer did well || the words or figure that show it\n"
                "Change: one thing to change || the words or figure that show it || "
                "what to say or do instead\n"
                "Change: a second thing to change, if there is one, in the same form\n"
                "Follow-up: one follow-up question an interviewer would ask next\n"
                "Use only the figures given under Measured or said in the answer."
            ),
        },
        {"role": "user", "content": "\n".join(parts)},
    ]


_LINE = re.compile(
    r"[-*#\d.)\s]*(good|change|follow[- ]?up(?: question)?|feedback)\s*[:\uff1a]\s*", re.I
)
_FIELDS = re.compile(r"\s*\|\|?\s*")


def _plain(text: str, limit: int) -> str:
    """Printable text on one line, at most ``limit`` characters (control characters, markup
    markers and runs of space removed; escaping is the page's job, this keeps it short)."""
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text[: limit * 4])
    kept = re.sub(r"[*#`]+", "", kept)
    kept = re.sub(r"\s+", " ", kept).strip()
    return kept if len(kept) <= limit else kept[: limit - 1].rstrip() + "…"


def _tip(kind: str, fields: list[str], index: int, t: float | None) -> Tip | None:
    text = _plain(fields[0], MAX_TIP) if fields else ""
    if not text:
        return None
    said = _plain(fields[1], MAX_TIP) if len(fields) > 1 else ""
    do = _plain(fields[2], MAX_TIP) if len(fields) > 2 else ""
    evidence = Evidence(index, t, "the coach's reading", None, "", said or None)
    return Tip(kind, text, do, evidence)


def parse_review(
    text: str, seconds: float, *, index: int = 0, t: float | None = None
) -> Review | None:
    """The model's reply as a :class:`Review`: its ``Good:``, ``Change:`` and ``Follow-up:``
    lines as advice when it wrote them (``Feedback:`` too, from a model that ignores the form),
    and the whole reply as plain text. Linear in the reply."""
    good: Tip | None = None
    changes: list[Tip] = []
    follow: str | None = None
    loose: list[str] = []
    for line in text.splitlines()[:MAX_LINES]:
        m = _LINE.match(line)
        if m is None:
            if line.strip():
                loose.append(line.strip())
            continue
        label = m.group(1).lower()
        fields = _FIELDS.split(line[m.end() :])
        if label == "good" and good is None:
            good = _tip("model.good", fields, index, t)
        elif label == "change" and len(changes) < 2:
            tip = _tip("model.change", fields, index, t)
            if tip is not None:
                changes.append(tip)
        elif label.startswith("follow") and follow is None:
            follow = _plain(fields[0], MAX_FOLLOW_UP)
        elif label == "feedback":
            loose.append(line[m.end() :])
    if follow is None:
        questions = [q for q in (_last_question(line) for line in loose) if q]
        follow = questions[-1] if questions else None
    if follow is not None and not follow.endswith(("?", "\uff1f")):
        follow = None
    shown = [f"{good.text}" for good in [good] if good is not None]
    shown += [f"{c.text} {c.do}".strip() for c in changes]
    feedback = _plain(" ".join(shown or loose), MAX_FEEDBACK)
    if not feedback:
        return None
    advice = Advice(good, changes) if good is not None or changes else None
    return Review(feedback, follow or None, seconds, advice)


def _last_question(line: str) -> str | None:
    """The last sentence of ``line`` that is a question (split on sentence ends, no regex
    backtracking)."""
    found = None
    start = 0
    for i, ch in enumerate(line):
        if ch in ".!\u3002\uff01\n":
            start = i + 1
        elif ch in "?\uff1f":
            found = line[start : i + 1].strip()
            start = i + 1
    return _plain(found, MAX_FOLLOW_UP) if found else None
