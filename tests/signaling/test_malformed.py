"""Requests cut short or too malformed for aiohttp to parse get the answer every other error
gets (JSON, nothing of the input echoed) and leave no trace but a log line."""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.conftest import RunningServer


async def raw_exchange(server: RunningServer, request: bytes) -> tuple[int, dict, bytes]:
    """Send ``request`` as it is; the status, headers and body of the answer."""
    address = urlsplit(server.url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_bytes", "code"),
    [
        (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Long: " + b"s3cret" * 1500 + b"\r\n\r\n",
         "request_head_too_large"),
        (b"GET /health?" + b"s3cret" * 1500 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
         "request_head_too_large"),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nBroken header s3cret\r\n\r\n", "malformed_request"),
    ],
)  # fmt: skip
async def test_a_request_aiohttp_cannot_parse_gets_a_json_error(
    server: RunningServer, request_bytes: bytes, code: str
) -> None:
    """Pins: a header of over 8190 bytes got aiohttp's plain-text 400 that echoed the input."""
    status, headers, body = await raw_exchange(server, request_bytes)
    assert status == 400, (status, body[:300])
    assert headers.get("Content-Type", "").startswith("application/json"), headers
    assert b"s3cret" not in body, f"the input is echoed: {body[:300]!r}"
    assert json.loads(body)["error"]["code"] == code, body


async def test_a_client_leaving_mid_upload_is_no_error(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Pins: a client that went away while sending a file logged an ERROR with a traceback.
    It is one INFO line, and the upload slot is free for the next one."""
    caplog.set_level(logging.INFO)
    address = urlsplit(server.url)
    _, writer = await asyncio.open_connection(address.hostname, address.port)
    part = (
        b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.webm"\r\n'
        b"Content-Type: video/webm\r\n\r\n" + b"\x1a" * 100_000
    )
    writer.write(
        b"POST /api/analyze HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: multipart/form-data; boundary=XX\r\nContent-Length: 5000000\r\n\r\n" + part
    )
    await writer.drain()
    await asyncio.sleep(0.5)
    writer.close()
    for _ in range(50):
        if any("went away" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.1)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors
    assert any("went away" in r.getMessage() for r in caplog.records), "no line says why"
    form = aiohttp.FormData()
    form.add_field("file", b"not media", filename="x.mp4", content_type="video/mp4")
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server.url}/api/analyze", data=form) as response,
    ):
        assert response.status == 422, "the upload slot was not given back"
