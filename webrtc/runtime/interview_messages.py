"""The interview's data-channel messages (``docs/protocol.md``): what the live interviewer
(:mod:`webrtc.runtime.interviewer`) sends of each question, phase, answer and review."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from analyzers.interview.advice import Advice
from analyzers.interview.answers import AnswerFigures
from analyzers.interview.questions import Question
from webrtc.protocol import ServerMessage


@dataclass(frozen=True)
class Guide:
    """How to approach a question: what the interviewer looks for, the key points, the shape
    of a strong answer and common mistakes (the question file's own words: untrusted text)."""

    looking_for: str
    points: list[str]
    outline: list[str]
    mistakes: list[str]
    story: bool
    """Whether the question asks for a story (situation, task, action, result)."""


def guide(question: Question) -> Guide | None:
    """The question's guide (``None``: its file gives none)."""
    if not question.has_guide:
        return None
    return Guide(
        question.looking_for, list(question.points), list(question.outline),
        list(question.mistakes), question.asks_story,
    )  # fmt: skip


@dataclass(frozen=True)
class QuestionMessage(ServerMessage):
    type: ClassVar[str] = "question"
    id: str
    index: int
    of: int
    text: str
    think_seconds: float
    answer_seconds: float
    recommended_seconds: int
    attempt: int
    """1 for the first try, 2 after one retake…"""
    voice: bool
    """Whether the question is also heard on the interviewer's audio track."""
    speaking_seconds: float
    """How long the interviewer takes to say it (0 without a voice): the think time starts
    after it."""
    guide: Guide | None = None
    """How to approach it, for a page that shows it on request."""
    language: str = "en"
    """The interview's language (``en``, ``zh``): Chinese answers are counted in characters."""


@dataclass(frozen=True)
class InterviewPhase(ServerMessage):
    """The interview entered ``phase`` (``asking``, ``thinking``, ``answering``, ``answered``,
    ``finished``) for question ``index``; it ends by itself ``ends_in`` seconds from ``t``
    (``null``: when something happens). The page renders this and keeps no clock of its own."""

    type: ClassVar[str] = "interview.phase"
    index: int
    of: int
    phase: str
    attempt: int
    ends_in: float | None


@dataclass(frozen=True)
class AnswerStarted(ServerMessage):
    type: ClassVar[str] = "answer.started"
    index: int


@dataclass(frozen=True)
class AnswerResumed(ServerMessage):
    """The person went on speaking soon after an answer ended as ``complete``: the answer
    goes on, and its next ``answer.ended`` and ``answer.feedback`` replace the last ones."""

    type: ClassVar[str] = "answer.resumed"
    index: int


@dataclass(frozen=True)
class AnswerEnded(ServerMessage):
    type: ClassVar[str] = "answer.ended"
    index: int
    reason: str
    duration: float


@dataclass(frozen=True)
class AnswerFeedback(ServerMessage):
    type: ClassVar[str] = "answer.feedback"
    index: int
    attempt: int
    figures: AnswerFigures
    cues: Any
    """The content cues (``null`` without a transcript)."""
    complete: bool = True
    """Whether every word of the answer was transcribed in time; when not, the feedback is
    sent again (same ``index`` and ``attempt``) once they are, and replaces this one."""
    advice: Advice | None = None
    """At most one thing done well and two to change, each with its evidence and what to do."""
    guide: Guide | None = None
    """The question's guide, shown with the advice."""


@dataclass(frozen=True)
class AnswerReviewing(ServerMessage):
    """The language model's review as it is being written (the reply so far; untrusted text,
    to be shown escaped). ``answer.comment`` follows with the finished review."""

    type: ClassVar[str] = "answer.reviewing"
    index: int
    attempt: int
    text: str


@dataclass(frozen=True)
class AnswerComment(ServerMessage):
    """The language model's review of an answer (when the operator configured one and the
    session allowed it): untrusted text, to be shown escaped."""

    type: ClassVar[str] = "answer.comment"
    index: int
    attempt: int
    text: str
    follow_up: str | None
    """Asked next, as its own question, when the person had not moved on."""
    asked: bool
    advice: Advice | None = None
    """The model's advice, when it held up against what was measured: it replaces the
    feedback's (rule-based) advice."""
    advice_by: str = "rules"
    """``model`` when ``advice`` replaces the rules', ``rules`` when they stand."""
    rejected: str | None = None
    """Why the model's advice was not used (no advice in the reply, a figure not measured, a
    change the measurements contradict)."""


@dataclass(frozen=True)
class InterviewFinished(ServerMessage):
    type: ClassVar[str] = "interview.finished"
    answered: int
    of: int
