"""The data-channel protocol: client messages parsed strictly, server messages versioned."""

from __future__ import annotations

import json
import time

import pytest

from analyzers.session.report import SummaryFields
from webrtc.protocol import (
    MAX_CLIENT_MESSAGE_BYTES,
    CalibrateRequest,
    Error,
    Ping,
    ProtocolError,
    SessionReady,
    SetupRequest,
    encode,
    parse_client_message,
)
from webrtc.results import Summary, VideoFrameMessage


@pytest.mark.parametrize("ping_id", [7, "abc", 1.5, None])
def test_ping_is_parsed_with_its_id(ping_id: str | int | float | None) -> None:
    assert parse_client_message(json.dumps({"type": "ping", "id": ping_id})) == Ping(ping_id)


@pytest.mark.parametrize(
    ("kind", "parsed"), [("setup", SetupRequest()), ("calibrate", CalibrateRequest())]
)
def test_video_requests_are_parsed(kind: str, parsed: object) -> None:
    assert parse_client_message(json.dumps({"type": kind})) == parsed


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"\x00\x01binary", "binary_not_supported"),
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_message"),
        ('"ping"', "invalid_message"),
        ('{"id": 1}', "invalid_message"),
        ('{"type": 5}', "invalid_message"),
        ('{"type": "launch"}', "unknown_type"),
        ('{"type": "ping", "id": {"nested": true}}', "invalid_message"),
        ('{"type": "ping", "id": "' + "x" * 200 + '"}', "invalid_message"),
        ("[" * 100_000, "message_too_large"),
        ("[" * 3000 + "]" * 1000, "invalid_json"),
        ('{"type": "\ud800"}', "unknown_type"),
    ],
)
def test_malformed_messages_raise_protocol_errors(raw: str | bytes, code: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_client_message(raw)
    assert caught.value.code == code


def test_size_limit_is_in_bytes_not_characters() -> None:
    raw = json.dumps({"type": "ping", "id": "é" * (MAX_CLIENT_MESSAGE_BYTES // 2)})
    with pytest.raises(ProtocolError, match="at most"):
        parse_client_message(raw)


def test_server_messages_carry_type_version_session_and_time() -> None:
    body = json.loads(encode(Error("s1", 1.5, "unknown_type", "no such type")))
    assert body == {
        "type": "error",
        "v": 1,
        "session_id": "s1",
        "t": 1.5,
        "code": "unknown_type",
        "message": "no such type",
    }
    ready = json.loads(encode(SessionReady("s1", 0.0, 2.0, 10.0, 5.0, 200)))
    assert ready["type"] == "session.ready" and ready["heartbeat_timeout"] == 10.0


def test_the_summary_message_has_its_envelope_and_the_report_fields() -> None:
    """Pins: the summary message shares its fields' type with the report, whose ``to_dict``
    has no envelope; the message must still carry type, v, session id and time, first."""
    body = json.loads(encode(Summary.from_results("s1", 4.0, None, None)))
    assert list(body)[:4] == ["type", "v", "session_id", "t"], list(body)
    assert body["type"] == "summary" and body["v"] == 1 and body["talk_ratio"] is None
    assert set(body) - {"type", "v", "session_id", "t"} == set(SummaryFields().to_dict())


def test_sent_at_is_stamped_when_encoded() -> None:
    frame = VideoFrameMessage(
        "s1", 0.2, True, 1, 640, 480, received_at=100.0, analysis_ms=12.0, frames_skipped=3
    )
    before = time.time()
    body = json.loads(encode(frame))
    assert before <= body["sent_at"] <= time.time()
    assert body["received_at"] == 100.0
