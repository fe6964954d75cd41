"""The ``interview`` of ``POST /api/sessions``: checked, its questions chosen once (so any
worker runs the same interview and the report shows what was asked), and turned into the plan
a live session runs (``webrtc/runtime/interviewer.py``).

The body::

    {"interview": {"role": "software_engineer", "language": "en", "count": 5,
                   "think_seconds": 20, "answer_seconds": 120, "voice": true,
                   "end_silence_seconds": 5, "auto_advance_seconds": 4,
                   "wait_for_begin": false}}

or, instead of ``role`` and ``count``, the platform's own ``questions`` (strings, or objects
with ``text`` and any of a question file's fields: ``seconds``, ``story`` and the guide).
Every field is optional: ``{"interview": {}}`` is five general questions in the session's
language. ``"llm": true`` lets the answers' transcripts go to the operator's language model
(``LENS_LLM_URL``) for a review each; it is ``400`` on a server without one.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from typing import Any

from analyzers.interview.flow import InterviewTimes
from analyzers.interview.questions import Question, QuestionBank, QuestionFileError, question
from signaling.services.errors import InvalidRequest
from webrtc.runtime.interviewer import InterviewPlan

TIMES = {
    # field: (InterviewTimes' field, lowest, highest)
    "think_seconds": ("think", 0, 300),
    "answer_seconds": ("answer", 10, 900),
    "end_silence_seconds": ("end_silence", 1, 60),
    "auto_advance_seconds": ("auto_advance", 0, 60),
}
FIELDS = {"role", "language", "count", "questions", "voice", "llm", "wait_for_begin", *TIMES}
MAX_QUESTIONS = 20


def interview_language(session_language: str | None, asked: Any) -> str:
    if asked is not None:
        if asked not in ("en", "zh"):
            raise InvalidRequest("'interview.language' must be 'en' or 'zh'")
        return str(asked)
    return "zh" if session_language in ("cmn", "zh") else "en"


def resolve(
    data: Any,
    bank: QuestionBank,
    session_language: str | None,
    seed: str,
    *,
    reviews: bool = False,
) -> dict[str, Any]:
    """The stored form of an ``interview`` option (``400`` saying what is wrong)."""
    if not isinstance(data, dict):
        raise InvalidRequest("'interview' must be an object (see docs/interview.md)")
    unknown = set(data) - FIELDS
    if unknown:
        raise InvalidRequest(
            "unknown interview field(s): {names}", names=", ".join(sorted(unknown))
        )
    language = interview_language(session_language, data.get("language"))
    count = data.get("count", 5)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_QUESTIONS:
        raise InvalidRequest(
            "'interview.count' must be a whole number from 1 to {MAX_QUESTIONS}",
            MAX_QUESTIONS=MAX_QUESTIONS,
        )
    role = data.get("role", "general")
    if not isinstance(role, str) or len(role) > 64:
        raise InvalidRequest(
            "'interview.role' must be a role's name (see GET /api/interview/roles)"
        )
    explicit = data.get("questions")
    try:
        if explicit is not None:
            if not isinstance(explicit, list) or not 1 <= len(explicit) <= MAX_QUESTIONS:
                raise InvalidRequest(
                    "'interview.questions' must list 1 to {MAX_QUESTIONS}",
                    MAX_QUESTIONS=MAX_QUESTIONS,
                )
            chosen = tuple(question(q, f"interview.questions[{i}]") for i, q in enumerate(explicit))
            chosen = tuple(replace(q, id=f"q{i + 1}") if q.id.startswith("q-") else q
                           for i, q in enumerate(chosen))  # fmt: skip
            ids = [q.id for q in chosen]
            twice = sorted({i for i in ids if ids.count(i) > 1})
            if twice:
                # A question's answers, feedback and report are found by its id.
                raise InvalidRequest(
                    "'interview.questions' names an id more than once: {ids}", ids=", ".join(twice)
                )
            role = "custom"
        else:
            chosen = bank.pick(language, role, count, seed)
    except QuestionFileError as exc:
        raise InvalidRequest(str(exc)) from None
    times: dict[str, float] = {}
    for name, (_, low, high) in TIMES.items():
        value = data.get(name)
        if value is None:
            continue
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not low <= value <= high
        ):
            raise InvalidRequest(
                "'interview.{name}' must be a number from {low} to {high}",
                name=name,
                low=low,
                high=high,
            )
        times[name] = float(value)
    voice = data.get("voice", True)
    if not isinstance(voice, bool):
        raise InvalidRequest("'interview.voice' must be true or false")
    llm = data.get("llm", False)
    if not isinstance(llm, bool):
        raise InvalidRequest("'interview.llm' must be true or false")
    wait = data.get("wait_for_begin", False)
    if not isinstance(wait, bool):
        raise InvalidRequest("'interview.wait_for_begin' must be true or false")
    if llm and not reviews:
        raise InvalidRequest("this server has no language model for reviews (LENS_LLM_URL)")
    return {
        "language": language,
        "role": role,
        "questions": [asdict(q) for q in chosen],
        **times,
        "voice": voice,
        "llm": llm,
        "wait_for_begin": wait,
    }


MAX_QUESTIONS_BYTES = 64 * 1024
"""The largest ``questions`` field of an upload."""
GivenQuestions = tuple[Question, ...]
"""An upload's questions, as the HTTP edge hands them to the service."""


def given_questions(raw: str) -> GivenQuestions:
    """The ``questions`` field of an upload: a JSON list as in ``interview.questions`` (``400``
    saying what is wrong)."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise InvalidRequest("'questions' must be a JSON list of questions") from None
    if not isinstance(data, list) or not 1 <= len(data) <= MAX_QUESTIONS:
        raise InvalidRequest(
            "'questions' must list 1 to {MAX_QUESTIONS} questions", MAX_QUESTIONS=MAX_QUESTIONS
        )
    try:
        found = tuple(question(q, f"questions[{i}]") for i, q in enumerate(data))
    except QuestionFileError as exc:
        raise InvalidRequest(str(exc)) from None
    return tuple(replace(q, id=f"q{i + 1}") if q.id.startswith("q-") else q
                 for i, q in enumerate(found))  # fmt: skip


def plan(
    stored: dict[str, Any], defaults: InterviewTimes, voice_on: bool, reviews: bool
) -> InterviewPlan:
    """The plan a live session runs, from the stored form."""
    questions = tuple(Question.from_dict(q) for q in stored["questions"])
    given: dict[str, Any] = {
        field: float(stored[name]) for name, (field, _, _) in TIMES.items() if name in stored
    }
    times = replace(defaults, **given)
    return InterviewPlan(
        questions,
        str(stored["language"]),
        times,
        voice=voice_on and bool(stored["voice"]),
        review=reviews and bool(stored.get("llm")),
        wait_for_begin=bool(stored.get("wait_for_begin", False)),
    )
