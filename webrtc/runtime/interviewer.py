"""The live interviewer of one session: it asks each question (as text on the data channel and,
with a voice, as speech on the peer connection's outgoing audio track), follows the answer from
the results the session sends (speech events, audio windows, frames), and answers each answer
with ``answer.feedback`` once its words are transcribed. The flow itself is pure code
(:mod:`analyzers.interview.flow`); the messages are in ``docs/protocol.md``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ClassVar

from analyzers.encoding import plain
from analyzers.interview.answers import (
    AnswerFigures,
    answer_cues,
    answer_figures,
    answer_utterances,
)
from analyzers.interview.flow import Answer, Interview, InterviewTimes
from analyzers.interview.questions import Question
from analyzers.interview.verdict import AnswerResult
from analyzers.words.language import Utterance
from webrtc.protocol import ServerMessage
from webrtc.results import AudioWindow, SpeechStarted, SpeechStopped, VideoFrameMessage
from webrtc.runtime.answer_review import Reviewer, ReviewRequest
from webrtc.runtime.speech_synthesis import Speaker, Voice

log = logging.getLogger(__name__)

ECHO_TAIL = 0.3
"""Seconds after the voice ends that the microphone is still taken as listening: the voice's
way back through the browser and the network."""
MAX_FOLLOW_UPS = 3
"""Follow-up questions one interview may get from the language model."""
TRANSCRIPT_WAIT = 12.0
"""Seconds an answer's feedback waits for its last words to be transcribed."""


@dataclass(frozen=True)
class InterviewPlan:
    """One session's interview: its questions and times, in its language."""

    questions: tuple[Question, ...]
    language: str
    times: InterviewTimes = field(default_factory=InterviewTimes)
    voice: bool = True
    review: bool = False
    """Send each answer to the operator's language model (the session allowed it)."""


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


@dataclass(frozen=True)
class AnswerStarted(ServerMessage):
    type: ClassVar[str] = "answer.started"
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


@dataclass(frozen=True)
class InterviewFinished(ServerMessage):
    type: ClassVar[str] = "interview.finished"
    answered: int
    of: int


@dataclass
class _Seen:
    eye: list[bool] = field(default_factory=list)
    expressions: list[str] = field(default_factory=list)
    pitches: list[float] = field(default_factory=list)


class Interviewer:
    def __init__(
        self,
        session_id: str,
        plan: InterviewPlan,
        *,
        send: Callable[[ServerMessage], None],
        spawn: Callable[[Coroutine[Any, Any, Any], str], None],
        utterances: Callable[[], list[Utterance]],
        transcribed: bool,
        voice: Voice | None,
        track: Speaker | None,
        reviewer: Reviewer | None = None,
        listening: Callable[[float], None] = lambda seconds: None,
    ) -> None:
        self.id = session_id
        self.plan = plan
        self.flow = Interview(plan.questions, plan.times)
        self._send = send
        self._spawn = spawn
        self._utterances = utterances
        self._transcribed = transcribed
        self._voice = voice if plan.voice else None
        self.track = track
        self._reviewer = reviewer if plan.review else None
        self._listening = listening
        """Told how many seconds from now the interviewer speaks (the microphone is then
        analysed as silence)."""
        self._comments: dict[int, str] = {}
        self._follow_ups = 0
        self._now = 0.0
        self._seen: dict[int, _Seen] = {}

    # -- what the session sends -----------------------------------------------------------

    def observe(self, message: ServerMessage) -> None:
        flow = self.flow
        if isinstance(message, AudioWindow):
            self._now = max(self._now, message.t + message.duration)
            if flow.phase == "ready":
                flow.start(self._now)
            flow.tick(self._now)
            if flow.phase == "answering" and message.speech and message.pitch_hz:
                self._current().pitches.append(message.pitch_hz)
        elif isinstance(message, SpeechStarted):
            flow.speech_started(message.t)
        elif isinstance(message, SpeechStopped):
            flow.speech_stopped(message.t)
        elif isinstance(message, VideoFrameMessage) and flow.phase == "answering":
            seen = self._current()
            if message.face and message.eye_contact is not None:
                seen.eye.append(message.eye_contact)
            label = (message.expression or {}).get("label")
            if isinstance(label, str):
                seen.expressions.append(label)
        else:
            return
        self._flush()

    def control(self, action: str) -> bool:
        """The person's ``answer.done``, ``answer.retake``, ``question.next`` or
        ``question.repeat``; false when it does not apply now."""
        flow, now = self.flow, self._now
        if flow.phase == "ready":
            return False
        if action == "answer.done":
            ok = flow.done(now)
        elif action == "answer.retake":
            ok = flow.retake(now)
            if ok:
                self._seen.pop(flow.index, None)
        elif action == "question.repeat":
            ok = flow.repeat(now)
        else:
            ok = flow.phase != "finished"
            if ok:
                flow.next(now)
        self._flush()
        return ok

    # -- inside ---------------------------------------------------------------------------

    def _current(self) -> _Seen:
        return self._seen.setdefault(self.flow.index, _Seen())

    def _flush(self) -> None:
        for event in self.flow.events():
            answer = event.answer
            if event.kind == "question" and answer is not None:
                self._ask(answer)
            elif event.kind == "answer.started" and answer is not None:
                self._send(AnswerStarted(self.id, event.t, answer.index))
            elif event.kind == "answer.ended" and answer is not None:
                if self.track is not None:
                    self.track.stop_playing()
                self._send(
                    AnswerEnded(
                        self.id, event.t, answer.index, answer.reason or "", answer.duration
                    )
                )
                self._spawn(self._feedback(answer), f"feedback-{answer.index}")
            elif event.kind == "finished":
                answered = sum(1 for a in self.flow.answers.values() if a.reason != "skipped")
                self._send(InterviewFinished(self.id, event.t, answered, len(self.flow.questions)))

    def _ask(self, answer: Answer) -> None:
        if self.track is not None:
            self.track.stop_playing()
            self._listening(0.0)
        if self._voice is None or self.track is None:
            self._send(self._question(answer, 0.0))
            self.flow.asked(self._now, 0.0)
            return
        self._spawn(self._say(answer), f"question-{answer.index}")

    def _question(self, answer: Answer, speaking: float) -> QuestionMessage:
        question, times = answer.question, self.plan.times
        return QuestionMessage(
            self.id,
            self._now,
            question.id,
            answer.index,
            len(self.flow.questions),
            question.text,
            times.think,
            self.flow.answer_seconds(question),
            question.seconds,
            answer.tries,
            speaking > 0,
            round(speaking, 2),
        )

    async def _say(self, answer: Answer) -> None:
        """Synthesise the question (in a child process), then send it and play it together:
        the page's think countdown starts when the voice ends."""
        assert self._voice is not None and self.track is not None
        pcm = await self._voice.speak(answer.question.text, self.plan.language)
        if self.flow.index != answer.index or self.flow.phase != "asking":
            return  # moved on while it was being synthesised
        playing = 0.0 if pcm is None else self.track.play(pcm)
        self._listening(playing + ECHO_TAIL if playing else 0.0)
        self._send(self._question(answer, playing))
        self.flow.asked(self._now, playing)
        self._flush()

    async def _feedback(self, answer: Answer) -> None:
        end = answer.ended_at or self._now
        if self._transcribed and answer.started_at is not None:
            waited = 0.0
            while waited < TRANSCRIPT_WAIT and not any(
                u.end >= end - 0.5 for u in self._utterances()
            ):
                await asyncio.sleep(0.25)
                waited += 0.25
        result = self.result(answer, self._utterances())
        if self._reviewer is not None and result.text:
            self._spawn(self._review(answer, result.text), f"review-{answer.index}")
        self._send(
            AnswerFeedback(
                self.id,
                self._now,
                answer.index,
                answer.tries,
                result.figures,
                None if result.cues is None else plain(result.cues),
            )
        )

    async def _review(self, answer: Answer, text: str) -> None:
        assert self._reviewer is not None
        request = ReviewRequest(answer.question.text, text, self.plan.language)
        review = await self._reviewer.review(request)
        if review is None:
            return
        self._comments[answer.index] = review.feedback
        asked = False
        if review.follow_up is not None and self._follow_ups < MAX_FOLLOW_UPS:
            self._follow_ups += 1
            question = Question(f"follow-up-{self._follow_ups}", review.follow_up, 90)
            asked = self.flow.follow_up(answer.index, question)
        self._send(
            AnswerComment(
                self.id, self._now, answer.index, answer.tries, review.feedback,
                review.follow_up, asked,
            )
        )  # fmt: skip

    def result(self, answer: Answer, utterances: list[Utterance]) -> AnswerResult:
        """The answer as the report keeps it, from ``utterances`` (the session's)."""
        start = answer.started_at if answer.started_at is not None else answer.asked_at
        end = answer.ended_at if answer.ended_at is not None else start
        seen = self._seen.get(answer.index, _Seen())
        language = self.plan.language
        figures = answer_figures(
            utterances,
            language,
            start=start,
            end=end,
            time_to_first_word=answer.time_to_first_word,
            eye_contact=seen.eye,
            expressions=seen.expressions,
            pitches=seen.pitches,
        )
        text = " ".join(u.text.strip() for u in answer_utterances(utterances, start, end))
        cues = None
        if self._transcribed:
            cues = answer_cues(text, language, answer.question, figures.duration)
        return AnswerResult(
            index=answer.index,
            question=answer.question,
            tries=answer.tries,
            reason=answer.reason or "unfinished",
            asked_at=answer.asked_at,
            started_at=answer.started_at,
            ended_at=answer.ended_at,
            text=text,
            figures=figures,
            cues=cues,
            feedback=self._comments.get(answer.index),
        )

    def answered(self) -> list[Answer]:
        """Every question's latest answer so far, in order (a copy: the flow goes on)."""
        return [a for _, a in sorted(self.flow.answers.items())]

    def final(self, answers: list[Answer], utterances: list[Utterance]) -> list[AnswerResult]:
        """``answers`` as the report keeps them, from the final transcript (pure: run off
        the event loop, with the report)."""
        return [self.result(a, utterances) for a in answers]
