"""What a platform may choose for each session (``POST /api/sessions``), how its request body
is read, and the shape of the ids the API takes (sessions, subjects)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import locales
from analyzers.interview.questions import QuestionBank
from analyzers.session.voices import CANDIDATE_VOICES
from signaling.services.errors import InvalidRequest, NotFound
from signaling.services.interviews import resolve
from signaling.settings import Settings
from signaling.storage import SessionRecord
from webrtc.lifecycle import SessionState, new_session_id


@dataclass(frozen=True)
class SessionOptions:
    """What the platform may choose per session (``POST /api/sessions``)."""

    transcript: bool | None = None
    """Transcribe it; ``None``: ``LENS_TRANSCRIPT``."""
    language: str | None = None
    """``en``, ``cmn`` or ``auto``; ``None``: ``LENS_LANGUAGE``."""
    subject: str | None = None
    """The platform's opaque id for the person (never a name or an email): their sessions
    are indexed by it for progress, export and erasure."""
    record: bool = False
    """Record the session for review (only where ``LENS_RECORDING=allowed``)."""
    interview: dict[str, Any] | None = None
    """Run an interview (``signaling/services/interviews.py``), checked in :func:`new_record`."""
    locale: str | None = None
    """The language of the words shown (``en``, ``zh``); ``None``: the interview's, else the
    spoken language's."""

    @classmethod
    def parse(cls, body: bytes) -> SessionOptions:
        """From a request body: empty, or a JSON object with these optional fields."""
        if not body.strip():
            return cls()
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # nesting too deep is a bad body, not a crash
            raise InvalidRequest("the body must be JSON (or empty)") from None
        if not isinstance(data, dict):
            raise InvalidRequest("the body must be a JSON object")
        unknown = set(data) - {"transcript", "language", "subject", "record", "interview", "locale"}
        if unknown:
            raise InvalidRequest(
                "unknown session option(s): {names}", names=", ".join(sorted(unknown))
            )
        transcript = data.get("transcript")
        if transcript is not None and not isinstance(transcript, bool):
            raise InvalidRequest("'transcript' must be true or false")
        language = data.get("language")
        if language is not None and language not in LANGUAGES:
            raise InvalidRequest(
                "'language' must be one of {LANGUAGES}", LANGUAGES=", ".join(LANGUAGES)
            )
        subject = data.get("subject")
        if subject is not None and not (isinstance(subject, str) and SUBJECT.fullmatch(subject)):
            raise InvalidRequest(SUBJECT_RULE)
        record = data.get("record", False)
        if not isinstance(record, bool):
            raise InvalidRequest("'record' must be true or false")
        interview = data.get("interview")
        if interview is not None and not isinstance(interview, dict):
            raise InvalidRequest("'interview' must be an object (see docs/interview.md)")
        locale = data.get("locale")
        if locale is not None and (not isinstance(locale, str) or locales.pick(locale) is None):
            raise InvalidRequest(
                "'locale' must be one of {choices}", choices=", ".join(locales.LOCALES)
            )
        return cls(transcript, language, subject, record, interview, locales.pick(locale))


LANGUAGES = ("en", "cmn", "auto")
SESSION_ID = re.compile(r"[0-9a-f]{32}")
SUBJECT = re.compile(r"[A-Za-z0-9._:-]{1,128}")
SUBJECT_RULE = (
    "'subject' must be the platform's opaque id for the person: 1-128 letters, digits and "
    "'.', '_', ':' or '-' (never a name or an email address)"
)


def check_subject(subject: str) -> str:
    if not SUBJECT.fullmatch(subject):
        raise InvalidRequest(SUBJECT_RULE)
    return subject


def check_candidate(value: str) -> str:
    """Which of an upload's two voices is the person's (:data:`CANDIDATE_VOICES`)."""
    if value not in CANDIDATE_VOICES:
        raise InvalidRequest("'candidate' is one of {choices}", choices=", ".join(CANDIDATE_VOICES))
    return value


def check_session_id(session_id: str) -> str:
    if not SESSION_ID.fullmatch(session_id):
        raise NotFound(
            "no session {session_id}: ids are 32 hex digits", session_id=repr(session_id[:40])
        )
    return session_id


def new_record(
    options: SessionOptions, settings: Settings, now: float, bank: QuestionBank | None = None
) -> SessionRecord:
    """The record of a session created with ``options`` (``400`` for what this server cannot
    do: a language its speech model does not know, a recording where recording is off)."""
    transcribed = settings.transcript if options.transcript is None else options.transcript
    language = options.language or settings.language
    if transcribed and language == "auto" and not settings.asr_multilingual:
        raise InvalidRequest(
            "language 'auto' needs a multilingual speech model; this server runs {asr_model} "
            "(English only)",
            asr_model=settings.asr_model,
        )
    if transcribed and language in ("cmn", "zh") and not settings.asr_mandarin:
        raise InvalidRequest(
            "language {language} needs a Mandarin speech model; this server has none "
            "(LENS_ASR_MODEL_ZH is empty)",
            language=repr(language),
        )
    if options.record and settings.recording != "allowed":
        raise InvalidRequest("this server does not record sessions (LENS_RECORDING=off)")
    session_id = new_session_id()
    spoken = options.language
    interview = None
    if options.interview is not None:
        found = bank or settings.question_bank()
        interview = resolve(
            options.interview, found, language, session_id, reviews=settings.llm_url is not None
        )
        if transcribed and interview["language"] != "en" and not settings.asr_mandarin:
            raise InvalidRequest(
                "an interview in {interview} needs a Mandarin speech model; this server has none "
                "(LENS_ASR_MODEL={asr_model}, LENS_ASR_MODEL_ZH empty): GET /api/interview/roles "
                "says which languages it can hold an interview in",
                interview=repr(interview["language"]),
                asr_model=settings.asr_model,
            )
        if spoken is None and interview["language"] == "zh":
            spoken = "cmn"  # a Chinese interview is heard as Mandarin unless it says otherwise
    return SessionRecord(
        id=session_id,
        state=SessionState.CREATED,
        created_at=now,
        expires_at=now + settings.session_ttl,
        transcript=transcribed,
        language=spoken,
        subject=options.subject,
        record=options.record,
        interview=interview,
        locale=options.locale,
    )
