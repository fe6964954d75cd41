"""What a platform may choose for each session (``POST /api/sessions``), and how its request
body is read."""

from __future__ import annotations

import json
from dataclasses import dataclass

from signaling.errors import InvalidRequest


@dataclass(frozen=True)
class SessionOptions:
    """What the platform may choose per session (``POST /api/sessions``)."""

    transcript: bool | None = None
    """Transcribe it; ``None``: ``LENS_TRANSCRIPT``."""
    language: str | None = None
    """``en``, ``cmn`` or ``auto``; ``None``: ``LENS_LANGUAGE``."""

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
        unknown = set(data) - {"transcript", "language"}
        if unknown:
            raise InvalidRequest(f"unknown session option(s): {', '.join(sorted(unknown))}")
        transcript = data.get("transcript")
        if transcript is not None and not isinstance(transcript, bool):
            raise InvalidRequest("'transcript' must be true or false")
        language = data.get("language")
        if language is not None and language not in LANGUAGES:
            raise InvalidRequest(f"'language' must be one of {', '.join(LANGUAGES)}")
        return cls(transcript, language)


LANGUAGES = ("en", "cmn", "auto")
