"""The data-channel protocol, version 1: the envelope, control messages, chunking, and the
client's messages. The analysis results are in :mod:`webrtc.results`.

Server messages are frozen dataclasses serialised by :func:`encode`; client messages are parsed
by :func:`parse_client_message`, which raises :class:`ProtocolError` (with an error code) for
anything malformed or unknown. ``docs/protocol.md`` is the reference for integrators.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, replace
from typing import Any, ClassVar, Protocol, cast, get_args, runtime_checkable

from analyzers.encoding import plain
from analyzers.interview.flow import Control
from locales import Translator

PROTOCOL_VERSION = 1
MAX_CLIENT_MESSAGE_BYTES = 4096


class ProtocolError(Exception):
    """A client message the server cannot act on. ``code`` goes back in the ``error`` message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ServerMessage:
    type: ClassVar[str]
    session_id: str
    t: float

    def to_dict(self) -> dict[str, Any]:
        """The envelope, then the fields as JSON values, rounded as each declares
        (:func:`analyzers.encoding.plain`)."""
        body: dict[str, Any] = plain(self)
        return {"type": self.type, "v": PROTOCOL_VERSION, **body}

    def fields(self) -> dict[str, Any]:
        """The message's own fields, without the envelope (type, v, session_id, t)."""
        body = asdict(self)
        for envelope in ("session_id", "t"):
            body.pop(envelope)
        return body


@dataclass(frozen=True)
class SessionReady(ServerMessage):
    type: ClassVar[str] = "session.ready"
    heartbeat_interval: float
    heartbeat_timeout: float
    video_fps: float
    audio_window_ms: int


@dataclass(frozen=True)
class Pong(ServerMessage):
    type: ClassVar[str] = "pong"
    id: str | int | float | None


@dataclass(frozen=True)
class Error(ServerMessage):
    type: ClassVar[str] = "error"
    code: str
    message: str

    def in_words(self, words: Translator) -> Error:
        return replace(self, message=words(self.message))


@runtime_checkable
class Worded(Protocol):
    """A message with words for a person: made in English (the catalogs' source language) and
    put into the session's language as it is sent."""

    def in_words(self, words: Translator) -> ServerMessage: ...


def in_words(message: ServerMessage, words: Translator) -> ServerMessage:
    """``message`` in the words of ``words``' locale (unchanged when it has no words)."""
    return message.in_words(words) if isinstance(message, Worded) else message


@dataclass(frozen=True)
class SessionClosed(ServerMessage):
    type: ClassVar[str] = "session.closed"
    reason: str


@dataclass(frozen=True)
class SessionDraining(ServerMessage):
    """The server is shutting down (a deploy, a scale-down): the session may go on until
    ``deadline``, then it is ended with its report. Sent once."""

    type: ClassVar[str] = "session.draining"
    deadline: float
    """Unix time at which the server ends the session if it is still running."""
    seconds: float
    """Seconds left until then, when sent."""


@dataclass(frozen=True)
class Chunk(ServerMessage):
    """One piece of a message too large for one small packet: concatenate the ``data`` of
    ``count`` chunks with the same ``id``, in ``index`` order, and parse the result as JSON."""

    type: ClassVar[str] = "chunk"
    id: int
    index: int
    count: int
    data: str


def chunked(message: ServerMessage, wire: str, limit: int, chunk_id: int) -> list[str]:
    """``wire`` as is when it fits ``limit`` bytes, else as ``chunk`` messages that each fit.
    Pieces are at most half the room left by the envelope: re-escaping inside a JSON string at
    most doubles a piece (the wire text is ASCII, as ``json.dumps`` writes it)."""
    if len(wire) <= limit:
        return [wire]
    piece = max(1, (limit - 160) // 2)
    parts = [wire[i : i + piece] for i in range(0, len(wire), piece)]
    return [
        encode(Chunk(message.session_id, message.t, chunk_id, index, len(parts), data))
        for index, data in enumerate(parts)
    ]


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def encode(message: ServerMessage) -> str:
    """JSON for the wire; stamps ``sent_at`` on messages that carry it."""
    body = message.to_dict()
    if "sent_at" in body:
        body["sent_at"] = time.time()
    return json.dumps({k: _finite(v) for k, v in body.items()}, separators=(",", ":"))


@dataclass(frozen=True)
class SessionReport(ServerMessage):
    """The final summary, sent when the session ends while the channel is open."""

    type: ClassVar[str] = "session.report"
    summary: dict[str, Any]
    quality: dict[str, Any]
    report_url: str


@dataclass(frozen=True)
class Ping:
    id: str | int | float | None


@dataclass(frozen=True)
class End:
    """The client ends the session: the server answers with ``session.report``, then closes."""


@dataclass(frozen=True)
class SetupRequest:
    """The client asks for the setup check again (framing and light, over the last seconds)."""


@dataclass(frozen=True)
class CalibrateRequest:
    """The person is looking at the interviewer's picture (or the camera) from now on, for
    two seconds: learn where that is (answered with ``calibration``)."""


VideoRequest = SetupRequest | CalibrateRequest
"""What the client asks of the video analysis."""

INTERVIEW_ACTIONS: tuple[Control, ...] = get_args(Control)


@dataclass(frozen=True)
class InterviewControl:
    """The person drives the interview: ``answer.done``, ``answer.retake``, ``question.next``
    or ``question.repeat``, about question ``index`` (``None``: whichever is current; a
    control about another question is stale or repeated, and refused)."""

    action: Control
    index: int | None = None


ClientMessage = Ping | End | VideoRequest | InterviewControl


def parse_client_message(raw: str | bytes) -> ClientMessage:
    """Parse one data-channel message from the client or raise :class:`ProtocolError`."""
    if isinstance(raw, bytes):
        raise ProtocolError("binary_not_supported", "messages are JSON text, not binary")
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_CLIENT_MESSAGE_BYTES:
        raise ProtocolError(
            "message_too_large", f"messages are at most {MAX_CLIENT_MESSAGE_BYTES} bytes"
        )
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("invalid_json", f"message is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ProtocolError("invalid_message", "a message is a JSON object with a 'type'")
    kind = body.get("type")
    if kind == "ping":
        ping_id = body.get("id")
        if ping_id is not None and not isinstance(ping_id, str | int | float):
            raise ProtocolError("invalid_message", "ping 'id' must be a string or a number")
        if isinstance(ping_id, str) and len(ping_id) > 128:
            raise ProtocolError("invalid_message", "ping 'id' is at most 128 characters")
        return Ping(id=ping_id)
    if kind == "end":
        return End()
    if kind == "setup":
        return SetupRequest()
    if kind == "calibrate":
        return CalibrateRequest()
    if kind in INTERVIEW_ACTIONS:
        index = body.get("index")
        if index is not None and (
            not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 1000
        ):
            raise ProtocolError("invalid_message", f"{kind} 'index' must be a question's number")
        return InterviewControl(cast(Control, kind), index)
    if not isinstance(kind, str):
        raise ProtocolError("invalid_message", "a message needs a string 'type'")
    raise ProtocolError("unknown_type", f"unknown message type {kind[:64]!r}")
