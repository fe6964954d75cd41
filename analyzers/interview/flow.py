"""The flow of one interview, as a pure state machine over session time.

For each question: the interviewer **asks** (its voice plays; speech heard then is never taken
for the candidate's, the browser's echo canceller removes most of it and the rest is ignored),
the candidate **thinks** (up to ``think`` seconds; speaking earlier starts the answer), then
**answers** (up to ``answer`` seconds, from the first word, or from the end of the think time).
An answer ends by:

- ``silence``: a silence of ``end_silence`` seconds after at least ``min_speech`` seconds of
  speech (a person who pauses to think is not cut off: see ``docs/interview.md`` for how the
  default was measured on real pauses);
- ``time``: the answer time ran out;
- ``done``: the person said they were done (``answer.done``);
- ``skipped``: they moved on (``question.next``) before answering.

After an answer the flow waits for ``question.next`` (or ``answer.retake``: the same question
again, the latest answer kept, tries counted). :meth:`Interview.events` hands out what happened,
for the live shell to send.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from analyzers.interview.questions import Question

Phase = Literal["ready", "asking", "thinking", "answering", "answered", "finished"]
EndReason = Literal["silence", "time", "done", "skipped"]


@dataclass(frozen=True)
class InterviewTimes:
    think: float = 20.0
    """Seconds to think before the answer clock starts."""
    answer: float = 0.0
    """Seconds an answer may last (0: the question's recommended length x 1.5)."""
    end_silence: float = 5.0
    """Seconds of silence that end an answer by voice activity."""
    min_speech: float = 3.0
    """Seconds of speech before a silence may end the answer."""


@dataclass(frozen=True)
class Answer:
    """One question's latest answer."""

    index: int
    question: Question
    asked_at: float
    """When the question finished playing (the think time starts)."""
    tries: int = 1
    started_at: float | None = None
    """First speech."""
    ended_at: float | None = None
    reason: EndReason | None = None
    speech: float = 0.0
    """Seconds of speech in the answer."""

    @property
    def time_to_first_word(self) -> float | None:
        return None if self.started_at is None else max(0.0, self.started_at - self.asked_at)

    @property
    def duration(self) -> float:
        if self.started_at is None or self.ended_at is None:
            return 0.0
        return max(0.0, self.ended_at - self.started_at)


@dataclass(frozen=True)
class Event:
    kind: Literal["question", "answer.started", "answer.ended", "finished"]
    t: float
    answer: Answer | None = None


@dataclass
class Interview:
    questions: tuple[Question, ...]
    times: InterviewTimes = field(default_factory=InterviewTimes)
    phase: Phase = "ready"
    index: int = -1
    answers: dict[int, Answer] = field(default_factory=dict)
    _asking_until: float | None = None
    _think_until: float = 0.0
    _clock_from: float = 0.0
    _speaking_since: float | None = None
    _silent_since: float | None = None
    _current: Answer | None = None
    _events: list[Event] = field(default_factory=list)

    # -- driven by the shell --------------------------------------------------------------

    def start(self, t: float) -> None:
        if self.phase == "ready":
            self._ask(t, 0, tries=1)

    def asked(self, t: float, playing: float) -> None:
        """The question's voice plays for ``playing`` seconds from ``t`` (0: text only)."""
        if self.phase == "asking":
            self._asking_until = t + playing
            self._begin_thinking(t + playing)

    def speech_started(self, t: float) -> None:
        if self._asking_until is not None and t < self._asking_until:
            return  # the interviewer's own voice, or the person over it: not an answer
        if self.phase == "thinking":
            self.phase = "answering"
            assert self._current is not None
            self._current = replace(self._current, started_at=t)
            self._clock_from = t
            self._events.append(Event("answer.started", t, self._current))
        if self.phase == "answering":
            self._speaking_since, self._silent_since = t, None

    def speech_stopped(self, t: float) -> None:
        if self.phase == "answering" and self._speaking_since is not None:
            assert self._current is not None
            spoken = self._current.speech + max(0.0, t - self._speaking_since)
            self._current = replace(self._current, speech=spoken)
            self._speaking_since, self._silent_since = None, t

    def tick(self, t: float) -> None:
        """Time passes: the think time, the answer time and the end silence are checked."""
        if self.phase == "thinking" and t >= self._think_until:
            self.phase = "answering"  # the clock runs whether or not they speak
            self._clock_from = t
        if self.phase != "answering" or self._current is None:
            return
        limit = self.answer_seconds(self._current.question)
        if t - self._clock_from >= limit:
            self._end(t, "time" if self._current.started_at is not None else "skipped")
        elif (
            self._silent_since is not None
            and t - self._silent_since >= self.times.end_silence
            and self._current.speech >= self.times.min_speech
        ):
            self._end(self._silent_since, "silence")

    def done(self, t: float) -> bool:
        """``answer.done``: false when no answer is going on."""
        if self.phase not in ("thinking", "answering"):
            return False
        self._end(t, "done" if self._current and self._current.started_at else "skipped")
        return True

    def retake(self, t: float) -> bool:
        """``answer.retake``: the same question again; the latest answer is the one kept."""
        if self.phase not in ("thinking", "answering", "answered") or self.index < 0:
            return False
        tries = (self._current.tries if self._current else 1) + 1
        self._ask(t, self.index, tries=tries)
        return True

    def repeat(self, t: float) -> bool:
        """``question.repeat``: ask again before answering (the think time starts over)."""
        if self.phase not in ("asking", "thinking") or self._current is None:
            return False
        self._ask(t, self.index, tries=self._current.tries)
        return True

    def next(self, t: float) -> None:
        """``question.next``: end the answer going on (skipped if it had not started), then the
        next question, or the end."""
        if self.phase in ("asking", "thinking", "answering"):
            self._end(t, "skipped" if not (self._current and self._current.started_at) else "done")
        if self.phase == "finished":
            return
        if self.index + 1 < len(self.questions):
            self._ask(t, self.index + 1, tries=1)
        else:
            self.phase = "finished"
            self._events.append(Event("finished", t))

    def follow_up(self, after: int, question: Question) -> bool:
        """Ask ``question`` next, after the answer to question ``after``: only while that
        answer is the latest and the person has not moved on."""
        if self.phase != "answered" or self.index != after:
            return False
        self.questions = (*self.questions[: after + 1], question, *self.questions[after + 1 :])
        return True

    def events(self) -> list[Event]:
        """What happened since the last call."""
        found, self._events = self._events, []
        return found

    def answer_seconds(self, question: Question) -> float:
        return self.times.answer or question.seconds * 1.5

    # -- inside ---------------------------------------------------------------------------

    def _ask(self, t: float, index: int, *, tries: int) -> None:
        self.index = index
        self.phase = "asking"
        self._current = Answer(index, self.questions[index], asked_at=t, tries=tries)
        self._asking_until = None
        self._speaking_since = self._silent_since = None
        self._events.append(Event("question", t, self._current))

    def _begin_thinking(self, t: float) -> None:
        assert self._current is not None
        self._current = replace(self._current, asked_at=t)
        self.phase = "thinking"
        self._think_until = t + self.times.think

    def _end(self, t: float, reason: EndReason) -> None:
        answer = self._current
        if answer is None:
            return
        if self._speaking_since is not None:
            answer = replace(answer, speech=answer.speech + max(0.0, t - self._speaking_since))
        answer = replace(answer, ended_at=t, reason=reason)
        self.answers[answer.index] = answer
        self._current = answer
        self.phase = "answered"
        self._speaking_since = self._silent_since = None
        self._events.append(Event("answer.ended", t, answer))
