"""A language model's review of one answer: a few sentences of feedback and one follow-up
question. The runtime knows only this interface; the client that calls the operator's
OpenAI-compatible endpoint lives with the services (``signaling/services/language_model.py``),
so the analysis runtime never touches the network itself.

What the model says is untrusted text: :func:`parse_review` keeps plain, bounded text, and every
page shows it escaped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol

MAX_FEEDBACK = 600
MAX_FOLLOW_UP = 200


@dataclass(frozen=True)
class ReviewRequest:
    question: str
    answer: str
    """The answer's transcript."""
    language: str
    """``en`` or ``zh``: the language to answer in."""


@dataclass(frozen=True)
class Review:
    feedback: str
    follow_up: str | None
    """One question the interviewer asks next (``None``: the model gave none)."""
    seconds: float
    """How long the model took."""


class Reviewer(Protocol):
    async def review(self, request: ReviewRequest) -> Review | None:
        """The review, or ``None`` when the model is busy, slow or failing (never raises)."""


def prompt(request: ReviewRequest) -> list[dict[str, str]]:
    """The chat messages sent: the question and what the person said, nothing else."""
    language = "Chinese" if request.language == "zh" else "English"
    return [
        {
            "role": "system",
            "content": (
                "You are a friendly job interview coach. Reply in "
                f"{language} with exactly two lines:\n"
                "Feedback: two or three sentences on the answer's content and clarity.\n"
                "Follow-up: one follow-up question an interviewer would ask next."
            ),
        },
        {"role": "user", "content": f"Question: {request.question}\nAnswer: {request.answer}"},
    ]


_FEEDBACK = re.compile(r"feedback\s*[:\uff1a]\s*(.+?)(?=\n\s*follow|\Z)", re.I | re.S)
_FOLLOW_UP = re.compile(r"follow[- ]?up(?: question)?\s*[:\uff1a]\s*(.+)", re.I)


def _plain(text: str, limit: int) -> str:
    """Printable text on one line, at most ``limit`` characters (control characters, markup
    markers and runs of space removed; escaping is the page's job, this keeps it short)."""
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    kept = re.sub(r"[*#`]+", "", kept)
    kept = re.sub(r"\s+", " ", kept).strip()
    return kept if len(kept) <= limit else kept[: limit - 1].rstrip() + "…"


def parse_review(text: str, seconds: float) -> Review | None:
    """The model's reply as a :class:`Review`: the ``Feedback:`` and ``Follow-up:`` lines when
    it wrote them, else the whole reply as feedback and its last question as the follow-up."""
    feedback_match, follow_match = _FEEDBACK.search(text), _FOLLOW_UP.search(text)
    if feedback_match:
        feedback = feedback_match.group(1)
    else:
        feedback = text[: follow_match.start()] if follow_match else text
    follow = follow_match.group(1).splitlines()[0] if follow_match else None
    if follow is None and not feedback_match:
        questions = re.findall(r"[^.!?\u3002\uff01\uff1f\n]+[?\uff1f]", text)
        follow = questions[-1] if questions else None
    feedback = _plain(feedback, MAX_FEEDBACK)
    follow = _plain(follow, MAX_FOLLOW_UP) if follow else None
    if follow is not None and not follow.endswith(("?", "\uff1f")):
        follow = None
    if not feedback:
        return None
    return Review(feedback, follow or None, seconds)
