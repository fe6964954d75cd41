"""What a platform may choose for each session (``POST /api/sessions``), how its request body
is read, and the shape of the ids the API takes (sessions, subjects)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from signaling.errors import InvalidRequest, NotFound


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

    @classmethod
    def parse(cls, body: bytes) -> SessionOptions:
        """From a request body: empty, or a JSON object with these optional fields."""
        if not body.strip():
            return cls()
        try:
            data = json.loads(body)
        except ValueError:
            raise InvalidRequest("the body must be JSON (or empty)") from None
        if not isinstance(data, dict):
            raise InvalidRequest("the body must be a JSON object")
        unknown = set(data) - {"transcript", "language", "subject"}
        if unknown:
            raise InvalidRequest(f"unknown session option(s): {', '.join(sorted(unknown))}")
        transcript = data.get("transcript")
        if transcript is not None and not isinstance(transcript, bool):
            raise InvalidRequest("'transcript' must be true or false")
        language = data.get("language")
        if language is not None and language not in LANGUAGES:
            raise InvalidRequest(f"'language' must be one of {', '.join(LANGUAGES)}")
        subject = data.get("subject")
        if subject is not None and not (isinstance(subject, str) and SUBJECT.fullmatch(subject)):
            raise InvalidRequest(SUBJECT_RULE)
        return cls(transcript, language, subject)


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


def check_session_id(session_id: str) -> str:
    if not SESSION_ID.fullmatch(session_id):
        raise NotFound(f"no session {session_id[:40]!r}: ids are 32 hex digits")
    return session_id
