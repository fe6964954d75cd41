"""The flow of one interview, as a pure state machine over media time.

For each question the interviewer **asks** (its voice plays; its echo is never taken for the
candidate's speech, and the person talking over it, a barge-in, stops it and starts the answer),
the candidate **thinks** (up to ``think`` seconds; speaking earlier starts the answer), then
**answers** (up to ``answer`` seconds, from the first word, or from the end of the think time),
and the answer is **answered**: it ended by

- ``complete``: the end-of-turn model judged the person done (:mod:`analyzers.voice.turn`), and
  ``complete_silence`` seconds of silence followed (should they speak again within
  ``resume_within`` seconds, before the next question, the answer is taken up again:
  ``answer.resumed``);
- ``silence``: ``end_silence`` seconds of silence (the model was unsure, or is off);
- ``time``: the answer time ran out;
- ``done``: the person said they were done (``answer.done``);
- ``skipped``: they moved on (``question.next``) before answering.

After an answer, with ``auto_advance`` seconds set, the next question comes by itself that long
after the answer's feedback was given (:meth:`Interview.feedback_given`); ``question.next`` and
``answer.retake`` (the same question again, the latest answer kept, tries counted) work at any
time. Every change of phase is an event with its deadline (:class:`Event`); the live shell sends
them and the page renders what it is told.

The flow owns its invariants: ``asked_at <= started_at <= ended_at`` for every answer, ``tries``
counts the attempts made, and a control that names another question than the current one is
refused (stale or repeated).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from analyzers.interview.questions import Question
from analyzers.voice.speech_events import SpeechStarted, SpeechStopped
from analyzers.voice.turn import TurnPrediction
from analyzers.voice.windows import AudioWindowResult

Phase = Literal["ready", "asking", "thinking", "answering", "answered", "finished"]
EndReason = Literal["complete", "silence", "time", "done", "skipped"]
Control = Literal[
    "interview.begin", "answer.done", "answer.retake", "question.next", "question.repeat"
]


@dataclass(frozen=True)
class InterviewTimes:
    think: float = 20.0
    """Seconds to think before the answer clock starts."""
    answer: float = 0.0
    """Seconds an answer may last (0: the question's recommended length x 1.5)."""
    end_silence: float = 5.0
    """Seconds of silence that end an answer when the end-of-turn model did not (or is off)."""
    complete_silence: float = 1.0
    """Seconds of silence that end an answer the end-of-turn model judged complete."""
    min_speech: float = 0.0
    """Seconds of speech before a silence may end the answer (0: a one-word answer ends like
    any other)."""
    auto_advance: float = 0.0
    """Seconds after an answer's feedback before the next question comes by itself (0: it
    waits for ``question.next``)."""
    barge_in: bool = True
    """Speech over the question's voice stops it and starts the answer (the voice's own echo
    is told apart before: ``analyzers/voice/echo.py``)."""
    resume_within: float = 2.5
    """Seconds after an answer ended as ``complete`` during which speech takes it up again
    (the model was wrong: the person had more to say), unless the next question came."""


@dataclass(frozen=True)
class Answer:
    """One question's latest answer."""

    index: int
    question: Question
    asked_at: float
    """When the question finished playing (the think time starts), or when the answer began
    or ended if that was sooner."""
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


EventKind = Literal[
    "question",
    "phase",
    "barge_in",
    "answer.started",
    "answer.ended",
    "answer.resumed",
    "finished",
]


@dataclass(frozen=True)
class Event:
    kind: EventKind
    t: float
    answer: Answer | None = None
    phase: Phase | None = None
    """``phase``: the phase entered."""
    until: float | None = None
    """``phase``: when it ends by itself (``None``: when something happens)."""
    acknowledge: bool = False
    """``question``: the interviewer moved on by itself (it says a word of thanks first)."""


@dataclass
class Interview:
    questions: tuple[Question, ...]
    times: InterviewTimes = field(default_factory=InterviewTimes)
    phase: Phase = "ready"
    index: int = -1
    answers: dict[int, Answer] = field(default_factory=dict)
    until: float | None = None
    """When the current phase ends by itself."""
    _speaking_since: float | None = None
    _silent_since: float | None = None
    _complete_at: float | None = None
    """When the silence judged complete ends the answer (``None``: not judged so)."""
    _current: Answer | None = None
    _answer_until: float | None = None
    """When the answer going on (or just ended) runs out of time."""
    _now: float = 0.0
    _events: list[Event] = field(default_factory=list)

    # -- driven by the shell --------------------------------------------------------------

    def start(self, t: float) -> None:
        if self.phase == "ready":
            self._ask(t, 0, tries=1)

    def asked(self, t: float, playing: float) -> None:
        """The question's voice plays for ``playing`` seconds from ``t`` (0: text only)."""
        if self.phase == "asking" and self.until is None:
            if playing > 0:
                self._enter("asking", t, until=t + playing)
            else:
                self._begin_thinking(t)

    def observe(self, result: object) -> None:
        """One of the audio analysis's typed results, in order."""
        if isinstance(result, AudioWindowResult):
            self.tick(result.t + result.duration)
        elif isinstance(result, SpeechStarted):
            self.speech_started(result.t)
        elif isinstance(result, SpeechStopped):
            self.speech_stopped(result.t)
        elif isinstance(result, TurnPrediction):
            self.turn(result)

    def speech_started(self, t: float) -> None:
        self._now = max(self._now, t)
        if self.phase == "asking":
            if not (self.times.barge_in and self.until is not None and self._current):
                return  # nothing is said yet, or talking over the question is not an answer
            # The person talks over the question: it stops, and the answer starts.
            self._current = replace(self._current, asked_at=t, started_at=t)
            self._events.append(Event("barge_in", t, self._current))
            self._begin_answering(t, started=True)
        if self._resumable(t):
            self._resume(t)
        if self.phase == "thinking":
            assert self._current is not None
            self._current = replace(self._current, started_at=max(t, self._current.asked_at))
            self._begin_answering(t, started=True)
        if self.phase == "answering" and self._current and self._current.started_at is None:
            # The first word after the think time ran out: the clock already runs.
            self._current = replace(self._current, started_at=max(t, self._current.asked_at))
            self._events.append(Event("answer.started", t, self._current))
        if self.phase == "answering":
            self._speaking_since, self._silent_since, self._complete_at = t, None, None

    def speech_stopped(self, t: float) -> None:
        if self.phase == "answering" and self._speaking_since is not None:
            assert self._current is not None
            spoken = self._current.speech + max(0.0, t - self._speaking_since)
            self._current = replace(self._current, speech=spoken)
            self._speaking_since, self._silent_since = None, t

    def turn(self, prediction: TurnPrediction) -> None:
        """The end-of-turn model's judgement of the silence that began at ``prediction.t``."""
        if (
            self.phase == "answering"
            and prediction.complete
            and self._silent_since is not None
            and abs(prediction.t - self._silent_since) < 1e-6
        ):
            self._complete_at = self._silent_since + self.times.complete_silence

    def tick(self, t: float) -> None:
        """Time passes: the question's voice, the think time, the answer time, the silence
        that ends an answer and the pause before the next question are checked."""
        self._now = max(self._now, t)
        if self.phase == "asking" and self.until is not None and t >= self.until:
            self._begin_thinking(self.until)
        if self.phase == "thinking" and self.until is not None and t >= self.until:
            self._begin_answering(self.until, started=False)  # the clock runs regardless
        if self.phase == "answered" and self.until is not None and t >= self.until:
            self._next(t, acknowledge=True)
            return
        if self.phase != "answering" or self._current is None:
            return
        answer = self._current
        enough = answer.speech >= self.times.min_speech
        silent = self._silent_since
        if self.until is not None and t >= self.until:
            self._end(self.until, "time" if answer.started_at is not None else "skipped")
        elif silent is not None and enough and self._complete_at is not None:
            if t >= self._complete_at:
                self._end(silent, "complete")
        elif silent is not None and enough and t - silent >= self.times.end_silence:
            self._end(silent, "silence")

    def feedback_given(self, t: float, index: int) -> None:
        """The answer to question ``index`` has its feedback: the next question may come."""
        if self.phase == "answered" and self.index == index and self.times.auto_advance > 0:
            self._enter("answered", t, until=t + self.times.auto_advance)

    def control(self, action: Control, index: int | None = None) -> bool:
        """The person's ``interview.begin`` (the first question, when the plan waits for it),
        ``answer.done``, ``answer.retake``, ``question.next`` or ``question.repeat`` about
        question ``index`` (``None``: the current one); false when it does not apply now, or
        names another question (stale or repeated)."""
        t = self._now
        if action == "interview.begin":
            if self.phase != "ready":
                return False
            self.start(t)
            return True
        if self.phase == "ready" or (index is not None and index != self.index):
            return False
        if action == "answer.done":
            if self.phase not in ("thinking", "answering"):
                return False
            self._end(t, "done" if self._current and self._current.started_at else "skipped")
        elif action == "answer.retake":
            if self.phase not in ("thinking", "answering", "answered"):
                return False
            self._ask(t, self.index, tries=(self._current.tries if self._current else 1) + 1)
        elif action == "question.repeat":
            if self.phase not in ("asking", "thinking") or self._current is None:
                return False
            self._ask(t, self.index, tries=self._current.tries)
        else:
            if self.phase == "finished":
                return False
            self._next(t, acknowledge=False)
        return True

    def follow_up(self, after: int, question: Question) -> bool:
        """Ask ``question`` next, after the answer to question ``after``: only while that
        answer is the latest and the person has not moved on."""
        if self.phase != "answered" or self.index != after:
            return False
        self.questions = (*self.questions[: after + 1], question, *self.questions[after + 1 :])
        return True

    @property
    def now(self) -> float:
        """The latest media time the flow has been told of."""
        return self._now

    @property
    def current(self) -> Answer | None:
        """The question being asked or answered now (or just answered)."""
        return self._current

    def events(self) -> list[Event]:
        """What happened since the last call."""
        found, self._events = self._events, []
        return found

    def answer_seconds(self, question: Question) -> float:
        return self.times.answer or question.seconds * 1.5

    # -- inside ---------------------------------------------------------------------------

    def _resumable(self, t: float) -> bool:
        answer = self._current
        return (
            self.phase == "answered"
            and answer is not None
            and answer.reason == "complete"
            and answer.ended_at is not None
            and t - answer.ended_at <= self.times.resume_within + self.times.complete_silence
            and self._answer_until is not None
            and t < self._answer_until
        )

    def _resume(self, t: float) -> None:
        """The person spoke again soon after an answer judged complete: it goes on."""
        assert self._current is not None
        self._current = replace(self._current, ended_at=None, reason=None)
        self._events.append(Event("answer.resumed", t, self._current))
        self._enter("answering", t, until=self._answer_until)

    def _next(self, t: float, *, acknowledge: bool) -> None:
        if self.phase in ("asking", "thinking", "answering"):
            self._end(t, "done" if self._current and self._current.started_at else "skipped")
        if self.index + 1 < len(self.questions):
            self._ask(t, self.index + 1, tries=1, acknowledge=acknowledge)
        else:
            self._enter("finished", t)
            self._events.append(Event("finished", t))

    def _enter(self, phase: Phase, t: float, until: float | None = None) -> None:
        self.phase, self.until = phase, until
        self._events.append(Event("phase", t, self._current, phase, until))

    def _ask(self, t: float, index: int, *, tries: int, acknowledge: bool = False) -> None:
        self.index = index
        self._current = Answer(index, self.questions[index], asked_at=t, tries=tries)
        self._speaking_since = self._silent_since = self._complete_at = None
        self._answer_until = None
        self._events.append(Event("question", t, self._current, acknowledge=acknowledge))
        self._enter("asking", t)

    def _begin_thinking(self, t: float) -> None:
        assert self._current is not None
        self._current = replace(self._current, asked_at=t)
        self._enter("thinking", t, until=t + self.times.think)

    def _begin_answering(self, t: float, *, started: bool) -> None:
        assert self._current is not None
        if started:
            self._events.append(Event("answer.started", t, self._current))
        self._answer_until = t + self.answer_seconds(self._current.question)
        self._enter("answering", t, until=self._answer_until)

    def _end(self, t: float, reason: EndReason) -> None:
        answer = self._current
        if answer is None:
            return
        if self._speaking_since is not None:
            answer = replace(answer, speech=answer.speech + max(0.0, t - self._speaking_since))
        # Ended before the question had finished playing: it was asked until then.
        answer = replace(answer, asked_at=min(answer.asked_at, t), ended_at=t, reason=reason)
        self.answers[answer.index] = answer
        self._current = answer
        self._speaking_since = self._silent_since = self._complete_at = None
        self._events.append(Event("answer.ended", t, answer))
        self._enter("answered", t)
