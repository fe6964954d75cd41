"""Errors the API answers with: each has an HTTP status, a stable code and a message that
carries the state explaining it. The message is written in English with ``{fields}`` and
translated where it is answered (``locales``): the code never changes, the words do."""

from __future__ import annotations

from typing import Any

import locales


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, headers: dict[str, str] | None = None, **fields: Any) -> None:
        english = message.format(**fields) if fields else message
        super().__init__(english)
        self.message = english
        """In English, for logs and for code that reads it."""
        self.template = message
        self.fields = fields
        self.headers = headers or {}

    def localised(self) -> str:
        """The message in the active locale (the request's)."""
        return locales._(self.template, **self.fields)

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.localised()}}


class InvalidJson(ApiError):
    code = "invalid_json"


class InvalidOffer(ApiError):
    code = "invalid_offer"


class InvalidSdp(ApiError):
    code = "invalid_sdp"


class NoMedia(ApiError):
    code = "no_media"


class MissingDataChannel(ApiError):
    code = "missing_data_channel"


class OfferRejected(ApiError):
    """aiortc parsed the SDP but could not negotiate it (codecs, ICE or DTLS parameters)."""

    status = 422
    code = "offer_rejected"


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"


class RequestTimeout(ApiError):
    status = 408
    code = "request_timeout"


class SessionConflict(ApiError):
    status = 409
    code = "session_conflict"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class SessionExpired(ApiError):
    status = 410
    code = "session_expired"


class ReportNotReady(ApiError):
    status = 409
    code = "session_in_progress"


class ServiceUnavailable(ApiError):
    status = 503
    code = "service_unavailable"


class InvalidRequest(ApiError):
    code = "invalid_request"


class InvalidMedia(ApiError):
    status = 422
    code = "invalid_media"


class Draining(ApiError):
    """The worker is shutting down: it finishes its sessions and takes no new one."""

    status = 503
    code = "draining"


class ServerFull(ApiError):
    status = 503
    code = "server_full"


class TooManyTracks(ApiError):
    code = "too_many_tracks"


class RateLimited(ApiError):
    status = 429
    code = "rate_limited"


class CorsForbidden(ApiError):
    status = 403
    code = "cors_forbidden"
