"""A recorded interview, by question: where each question was asked in the transcript and the
answer that followed it, so an uploaded recording gets the same per-answer figures, advice and
verdict as a live interview.

- **With a question list** (given with the upload): each question is looked for in what was
  said, in order, as the utterance that shares most of its content words (at least half); its
  answer runs from the end of that utterance to the next question found (or the end).
- **Without one**: an utterance the recogniser wrote as a question (ending in a question mark,
  half- or full-width), or one that opens as interviewers ask ("Tell me about…", "Describe…",
  "Walk me through…"; 讲一次…, 说说…), at least four words long (eight characters in Chinese),
  starts a question;
  when it matches a shipped question (half its content words), that question's guide is used.

Either way, a question whose answer has fewer than five words of speech is left out, and a
recording with no question found has a report of delivery figures only (the page says so).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from analyzers.interview.answers import answer_cues, answer_figures, answer_utterances
from analyzers.interview.questions import DEFAULT_SECONDS, Question
from analyzers.interview.verdict import AnswerResult
from analyzers.session.timeline import AudioPoint, VideoPoint
from analyzers.words.language import Utterance, language_family
from analyzers.words.match import STOP_WORDS, chinese, stems, words

MIN_ANSWER_WORDS = 5
MATCH = 0.5
"""Share of a question's content words an utterance must say to be that question."""


@dataclass(frozen=True)
class Asked:
    """One question of a recording and the span of its answer (media seconds)."""

    question: Question
    asked_at: float
    """When the question's utterance ended."""
    start: float
    """The answer's first word."""
    end: float
    """The answer's last word."""


def _content(text: str, family: str) -> set[str]:
    if family == "zh":
        folded = chinese(text)
        return {folded[i : i + 2] for i in range(max(0, len(folded) - 1))}
    return {w for w in stems(words(text)) if w not in STOP_WORDS}


def _share(question: str, said: str, family: str) -> float:
    wanted = _content(question, family)
    return len(wanted & _content(said, family)) / len(wanted) if wanted else 0.0


PROMPTS = {
    "en": re.compile(
        r"^(?:so |ok |okay |now |and |next |alright )*(?:tell me about|tell me a|describe|walk me "
        r"through|give me an example|talk me through|can you tell me|could you tell me|"
        r"sell me)\b"
    ),
    "zh": re.compile(
        r"^(?:好的|那|接下来|下面)?(?:请你?)?(?:讲一次|讲讲|讲一个|说说|介绍一下|谈谈|描述)"
    ),
}
"""How an interviewer asks without a question mark ("Tell me about a time…", 讲一次…)."""


def _is_question(u: Utterance, family: str) -> bool:
    text = u.text.strip()
    long_enough = len(chinese(text)) >= 8 if family == "zh" else len(words(text)) >= 4
    if not long_enough:
        return False
    if text.endswith(("?", "\uff1f")):
        return True
    said = chinese(text) if family == "zh" else " ".join(words(text))
    return PROMPTS[family].search(said) is not None


def find_questions(
    utterances: Sequence[Utterance],
    language: str,
    given: Sequence[Question] = (),
    known: Sequence[Question] = (),
) -> list[Asked]:
    """The questions of a recording and their answers: those ``given`` found in order, or
    without any, the utterances that are questions (with the guide of a ``known`` one they
    match). With two voices told apart (``other_voice``), a question heard is the other
    voice's (the person's own questions are part of an answer), and an answer is the
    person's lines alone."""
    family = language_family(language)
    two_voices = any(u.other_voice for u in utterances)
    starts: list[tuple[int, Question]] = []
    if given:
        at = 0
        for question in given:
            scored = [
                (_share(question.text, u.text, family), i)
                for i, u in enumerate(utterances[at:], at)
            ]
            best = max(scored, default=(0.0, -1))
            if best[0] >= MATCH:
                starts.append((best[1], question))
                at = best[1] + 1
    else:
        for i, u in enumerate(utterances):
            if not _is_question(u, family) or (two_voices and not u.other_voice):
                continue
            match = max(((_share(k.text, u.text, family), k) for k in known),
                        default=(0.0, None), key=lambda m: m[0])  # fmt: skip
            if match[1] is not None and match[0] >= MATCH:
                question = match[1]
            else:
                question = Question(f"heard-{len(starts) + 1}", u.text.strip(), DEFAULT_SECONDS)
            starts.append((i, question))
    found = []
    for n, (i, question) in enumerate(starts):
        stop = starts[n + 1][0] if n + 1 < len(starts) else len(utterances)
        answer = [u for u in utterances[i + 1 : stop] if not u.other_voice]
        spoken = sum(len(u.words) or len(u.text.split()) for u in answer)
        if not answer or spoken < MIN_ANSWER_WORDS:
            continue
        found.append(Asked(question, utterances[i].end, answer[0].start, answer[-1].end))
    return found


def recorded_answers(
    asked: Sequence[Asked],
    utterances: Sequence[Utterance],
    language: str,
    video: Sequence[VideoPoint] = (),
    audio: Sequence[AudioPoint] = (),
) -> list[AnswerResult]:
    """Each question's answer as a live interview's report keeps it (figures, cues, advice),
    from the recording's transcript (the person's lines: not the other voice's) and its
    timelines."""
    utterances = [u for u in utterances if not u.other_voice]
    results = []
    for index, a in enumerate(asked):
        seen = [p for p in video if a.start <= p.t <= a.end]
        heard = [p for p in audio if a.start <= p.t <= a.end]
        figures = answer_figures(
            utterances,
            language,
            start=a.start,
            end=a.end,
            time_to_first_word=max(0.0, a.start - a.asked_at),
            eye_contact=[bool(p.eye_contact) for p in seen if p.face and p.eye_contact is not None],
            expressions=[p.expression for p in seen if p.expression],
            pitches=[p.pitch_hz for p in heard if p.speech and p.pitch_hz],
        )
        text = " ".join(u.text.strip() for u in answer_utterances(utterances, a.start, a.end))
        result = AnswerResult(
            index=index,
            question=a.question,
            tries=1,
            reason="complete",
            asked_at=a.asked_at,
            started_at=a.start,
            ended_at=a.end,
            text=text,
            figures=figures,
            cues=answer_cues(text, language, a.question, figures.duration),
            language=language_family(language),
        )
        results.append(result.advised())
    return results
