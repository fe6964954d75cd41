"""The live interviewer of one session: it asks each question (as text on the data channel and,
with a voice, as speech on the peer connection's outgoing audio track), follows the answer from
the pipelines' typed results (speech events, the end-of-turn model, audio windows, frames),
announces every phase with its deadline (``interview.phase``), and answers each answer with
``answer.feedback`` as soon as its last words are transcribed (the transcript arrives as an
event). The flow itself is pure code (:mod:`analyzers.interview.flow`); the messages are in
``docs/protocol.md``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any

from analyzers.encoding import plain
from analyzers.interview.advice import Advice, contradiction
from analyzers.interview.answers import (
    answer_cues,
    answer_figures,
    answer_utterances,
)
from analyzers.interview.flow import Answer, Control, Event, Interview, InterviewTimes
from analyzers.interview.questions import Question
from analyzers.interview.verdict import AnswerResult
from analyzers.video.frame import VideoFrameResult
from analyzers.voice.windows import AudioWindowResult
from analyzers.words.language import Utterance
from locales import N_, locale_of_language, translator
from webrtc.protocol import ServerMessage
from webrtc.runtime.answer_review import Reviewer, ReviewRequest, describe
from webrtc.runtime.interview_messages import (
    AnswerComment,
    AnswerEnded,
    AnswerFeedback,
    AnswerResumed,
    AnswerReviewing,
    AnswerStarted,
    InterviewFinished,
    InterviewPhase,
    QuestionMessage,
    guide,
)
from webrtc.runtime.speech_synthesis import Speaker, Voice

log = logging.getLogger(__name__)

ECHO_TAIL = 0.3
"""Seconds after the voice ends that the microphone is still taken as listening: the voice's
way back through the browser and the network."""
MAX_FOLLOW_UPS = 3
"""Follow-up questions one interview may get from the language model."""
TRANSCRIPT_WAIT = 12.0
"""Seconds an answer's feedback waits for its last words to be transcribed; words that come
later send the feedback again, replacing it."""
ACKNOWLEDGEMENT = N_("Thank you. Next question.")
"""What the interviewer says before a question it moves on to by itself."""


@dataclass(frozen=True)
class InterviewPlan:
    """One session's interview: its questions and times, in its language."""

    questions: tuple[Question, ...]
    language: str
    times: InterviewTimes = field(default_factory=InterviewTimes)
    voice: bool = True
    review: bool = False
    """Send each answer to the operator's language model (the session allowed it)."""
    wait_for_begin: bool = False
    """The first question waits for ``interview.begin`` (a page that checks the camera
    first); otherwise it comes with the first audio."""


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
        answering: Callable[[bool], None] = lambda going: None,
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
        self._answering = answering
        """Told whether an answer is going on (the end-of-turn model is wanted then only)."""
        self._comments: dict[int, str] = {}
        self._model_advice: dict[int, Advice] = {}
        """Advice of the language model that held up, by question (it replaces the rules')."""
        self._follow_ups = 0
        self._seen: dict[int, _Seen] = {}
        self._heard = asyncio.Event()
        """Set (and cleared) each time final words arrive."""
        self._feedback_sent: dict[int, AnswerFeedback] = {}
        """Each question's latest feedback, for a page that comes back."""
        self._incomplete: dict[int, Answer] = {}
        """Answers whose feedback went out before their last words: sent again when they come."""
        self.waiting_for_words = 0
        """Answers whose feedback waits for their last words now (their recognition goes first)."""

    # -- what the session sends -----------------------------------------------------------

    def observe(self, result: object) -> None:
        """One typed result of the pipelines, in order."""
        flow = self.flow
        if isinstance(result, VideoFrameResult):
            if flow.phase == "answering":
                seen = self._current()
                if result.face and result.gaze is not None:
                    seen.eye.append(result.gaze.eye_contact)
                if result.expression is not None:
                    seen.expressions.append(result.expression.label)
            return
        flow.observe(result)
        if isinstance(result, AudioWindowResult):
            if flow.phase == "ready" and not self.plan.wait_for_begin:
                flow.start(flow.now)
            if flow.phase == "answering" and result.speech and result.pitch_hz:
                self._current().pitches.append(result.pitch_hz)
        self._flush()

    @property
    def _now(self) -> float:
        return self.flow.now

    def heard(self, utterances: list[Utterance]) -> None:
        """Final words arrived (the session's transcript): feedback waiting for them goes out,
        and feedback sent without them is sent again."""
        self._heard.set()
        self._heard.clear()
        for index, answer in list(self._incomplete.items()):
            if self._has_last_words(answer):
                del self._incomplete[index]
                self._send_feedback(answer, complete=True)

    def control(self, action: Control, index: int | None = None) -> bool:
        """The person's ``answer.done``, ``answer.retake``, ``question.next`` or
        ``question.repeat`` about question ``index``; false when it does not apply now (or is
        about another question: stale, or repeated)."""
        before = self.flow.index
        ok = self.flow.control(action, index)
        if ok and action == "answer.retake":
            self._seen.pop(before, None)
            self._incomplete.pop(before, None)
            self._model_advice.pop(before, None)
            self._comments.pop(before, None)
        self._flush()
        return ok

    def replay(self) -> None:
        """A new page took over the session (a reload): it is told where the interview is,
        the question it is at, the phase and that answer's feedback; a question that was being
        said is said again."""
        flow, answer = self.flow, self.flow.current
        if answer is None:
            return
        if flow.phase == "asking":
            self.control("question.repeat", answer.index)
            return
        self._send(self._question(answer, 0.0))
        if flow.phase == "finished":
            self._send(self._finished(self._now))
            return
        self._send(self._phase(self._now, flow.phase, flow.until, answer))
        feedback = self._feedback_sent.get(answer.index)
        if flow.phase == "answered" and feedback is not None:
            self._send(feedback)

    # -- inside ---------------------------------------------------------------------------

    def _current(self) -> _Seen:
        return self._seen.setdefault(self.flow.index, _Seen())

    def _flush(self) -> None:
        for event in self.flow.events():
            self._announce(event)

    def _announce(self, event: Event) -> None:
        answer = event.answer
        if event.kind == "phase" and event.phase is not None:
            self._answering(event.phase == "answering")
            self._send(self._phase(event.t, event.phase, event.until, answer))
        elif event.kind == "question" and answer is not None:
            self._ask(answer, acknowledge=event.acknowledge)
        elif event.kind == "barge_in":
            if self.track is not None:
                self.track.stop_playing()
            self._listening(0.0)
        elif event.kind == "answer.started" and answer is not None:
            self._send(AnswerStarted(self.id, event.t, answer.index))
        elif event.kind == "answer.resumed" and answer is not None:
            self._incomplete.pop(answer.index, None)
            self._send(AnswerResumed(self.id, event.t, answer.index))
        elif event.kind == "answer.ended" and answer is not None:
            if self.track is not None:
                self.track.stop_playing()
            reason = answer.reason or ""
            self._send(AnswerEnded(self.id, event.t, answer.index, reason, answer.duration))
            self._spawn(self._feedback(answer), f"feedback-{answer.index}")
        elif event.kind == "finished":
            self._send(self._finished(event.t))

    def _phase(
        self, t: float, phase: str, until: float | None, answer: Answer | None
    ) -> InterviewPhase:
        flow = self.flow
        ends_in = None if until is None else round(max(0.0, until - self._now), 2)
        index, attempt = (flow.index, 1) if answer is None else (answer.index, answer.tries)
        return InterviewPhase(self.id, t, index, len(flow.questions), phase, attempt, ends_in)

    def _finished(self, t: float) -> InterviewFinished:
        answered = sum(1 for a in self.flow.answers.values() if a.reason != "skipped")
        return InterviewFinished(self.id, t, answered, len(self.flow.questions))

    def _ask(self, answer: Answer, *, acknowledge: bool = False) -> None:
        if self.track is not None:
            self.track.stop_playing()
            self._listening(0.0)
        if self._voice is None or self.track is None:
            self._send(self._question(answer, 0.0))
            self.flow.asked(self._now, 0.0)
            return
        self._spawn(self._say(answer, acknowledge), f"question-{answer.index}")

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
            guide(question),
            self.plan.language,
        )

    async def _say(self, answer: Answer, acknowledge: bool) -> None:
        """Synthesise the question (in a child process), then send it and play it together:
        the think time starts when the voice ends. Moving on by itself, the interviewer says a
        word of thanks first."""
        assert self._voice is not None and self.track is not None
        text = answer.question.text
        if acknowledge:
            thanks = translator(locale_of_language(self.plan.language))(ACKNOWLEDGEMENT)
            text = f"{thanks} {text}"
        pcm = await self._voice.speak(text, self.plan.language)
        flow = self.flow
        if flow.index != answer.index or flow.phase != "asking" or flow.until is not None:
            return  # moved on (or asked again) while it was being synthesised
        playing = 0.0 if pcm is None else self.track.play(pcm)
        self._listening(playing + ECHO_TAIL if playing else 0.0)
        self._send(self._question(answer, playing))
        flow.asked(self._now, playing)
        self._flush()

    def _has_last_words(self, answer: Answer) -> bool:
        end = answer.ended_at if answer.ended_at is not None else self._now
        return any(u.end >= end - 0.5 for u in self._utterances())

    async def _feedback(self, answer: Answer) -> None:
        """The answer's feedback, once its last words are transcribed (an event, not a poll),
        or after :data:`TRANSCRIPT_WAIT` without them (then again when they come)."""
        complete = True
        if self._transcribed and answer.started_at is not None:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + TRANSCRIPT_WAIT
            self.waiting_for_words += 1
            try:
                while not self._has_last_words(answer) and (left := deadline - loop.time()) > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._heard.wait(), left)
            finally:
                self.waiting_for_words -= 1
            complete = self._has_last_words(answer)
            if not complete:
                self._incomplete[answer.index] = answer
        if self._send_feedback(answer, complete=complete):
            self.flow.feedback_given(self._now, answer.index)
            self._flush()

    def _send_feedback(self, answer: Answer, *, complete: bool) -> bool:
        flow = self.flow
        if flow.answers.get(answer.index) != answer:
            return False  # retaken or ended again since: this end's feedback is not wanted
        if flow.index == answer.index and flow.phase == "answering":
            return False  # taken up again: the next end has the feedback
        result = self.result(answer, self._utterances())
        if self._reviewer is not None and result.text and complete:
            self._spawn(self._review(answer, result), f"review-{answer.index}")
        # Until the last words are written down, what was said is not known: no cues and no
        # advice (they would count words not yet heard), only the timing; they follow.
        cues = None if result.cues is None or not complete else plain(result.cues)
        advice = result.advice if complete else None
        feedback = AnswerFeedback(
            self.id, self._now, answer.index, answer.tries, result.figures, cues, complete,
            advice, guide(answer.question),
        )  # fmt: skip
        self._feedback_sent[answer.index] = feedback
        self._send(feedback)
        return True

    async def _review(self, answer: Answer, result: AnswerResult) -> None:
        """The language model's review, streamed to the page as it is written; its advice
        replaces the rule-based one only when it holds up against what was measured."""
        assert self._reviewer is not None
        guide_text, measured = describe(result)
        request = ReviewRequest(
            answer.question.text, result.text, self.plan.language, guide_text, measured
        )

        def writing(text: str) -> None:
            self._send(AnswerReviewing(self.id, self._now, answer.index, answer.tries, text))

        review = await self._reviewer.review(request, writing)
        if review is None:
            return
        self._comments[answer.index] = review.feedback
        rejected: str | None = "no advice in the reply"
        if review.advice is not None:
            rejected = contradiction(review.advice, result.heard(), f"{result.text} {measured}")
            if rejected is None:
                self._model_advice[answer.index] = review.advice
        if rejected is not None:
            log.info("language model advice not shown: %s", rejected)
        asked = False
        if review.follow_up is not None and self._follow_ups < MAX_FOLLOW_UPS:
            self._follow_ups += 1
            question = Question(f"follow-up-{self._follow_ups}", review.follow_up, 90)
            asked = self.flow.follow_up(answer.index, question)
        self._send(
            AnswerComment(
                self.id, self._now, answer.index, answer.tries, review.feedback,
                review.follow_up, asked,
                review.advice if rejected is None else None,
                "rules" if rejected is not None else "model", rejected,
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
        result = AnswerResult(
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
            language=language,
        ).advised()
        if (advice := self._model_advice.get(answer.index)) is not None and result.advice:
            result = replace(result, advice=advice, advice_by="model")
        return result

    def answered(self) -> list[Answer]:
        """Every question's latest answer so far, in order (a copy: the flow goes on)."""
        return [a for _, a in sorted(self.flow.answers.items())]

    def final(self, answers: list[Answer], utterances: list[Utterance]) -> list[AnswerResult]:
        """``answers`` as the report keeps them, from the final transcript (pure: run off
        the event loop, with the report)."""
        return [self.result(a, utterances) for a in answers]
