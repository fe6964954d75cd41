"""Tokens and keys: with LENS_SECRET and LENS_API_KEY set, the platform's key manages sessions,
each session's JWT connects it and reads its report, and anything else is refused with 401 or
403. Without them the server runs open and says so."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pydantic
import pytest

from loadtest.peer import ClientPeer, StillsTrack
from signaling.http.auth import Auth
from signaling.settings import MIN_KEY_CHARS, Settings
from tests.conftest import RunningServer, StartServer
from tests.media import astronaut, place

SECRET, KEY = "s3cret-for-tests-only-32-bytes-long", "platform-key-for-tests"


@pytest.fixture
async def secured(start_server: StartServer) -> RunningServer:
    return await start_server(secret=SECRET, api_key=KEY)


async def call(
    server: RunningServer, method: str, path: str, token: str | None = None, **kwargs: Any
) -> tuple[int, dict, Mapping[str, str]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, server.url + path, headers=headers, **kwargs) as response,
    ):
        body = await response.json() if response.content_type == "application/json" else {}
        return response.status, body, response.headers


async def new_session(server: RunningServer) -> dict:
    status, body, _ = await call(server, "POST", "/api/sessions", KEY)
    assert status == 201 and body["token"]
    return body


async def offer(server: RunningServer, session_id: str | None, token: str | None) -> ClientPeer:
    peer = ClientPeer(
        server.url, [StillsTrack([place(astronaut())])], session_id=session_id, token=token
    )
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    return peer


@pytest.mark.parametrize("key", [None, "wrong-key", "Basic cGxhdGZvcm0ta2V5"])
async def test_management_needs_the_api_key(secured: RunningServer, key: str | None) -> None:
    for method, path in [
        ("POST", "/api/sessions"),
        ("GET", "/api/sessions"),
        ("GET", "/api/sessions/" + "0" * 32),
        ("DELETE", "/api/sessions/" + "0" * 32),
    ]:
        status, body, headers = await call(secured, method, path, key)
        assert (status, body["error"]["code"]) == (401, "unauthorized")
        assert headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_person_erases_their_own_session_with_its_token(secured: RunningServer) -> None:
    """The session's token (``report`` scope) may DELETE its session, as the API key may; a
    token of another session may not, and nothing of it is erased."""
    mine, other = await new_session(secured), await new_session(secured)
    path = f"/api/sessions/{mine['session_id']}"
    status, body, _ = await call(secured, "DELETE", path, other["token"])
    assert (status, body["error"]["code"]) == (403, "forbidden"), body
    assert (await call(secured, "GET", path, KEY))[0] == 200, "kept after a refusal"
    status, _, _ = await call(secured, "DELETE", path, mine["token"])
    assert status == 204
    assert (await call(secured, "GET", path, KEY))[0] == 404, "erased"


async def test_the_session_token_connects_its_session_and_reads_its_report(
    secured: RunningServer,
) -> None:
    created = await new_session(secured)
    claims = jwt.decode(created["token"], SECRET, algorithms=["HS256"])
    assert claims["sub"] == created["session_id"]
    assert set(claims["analyzers"]) == {"video", "audio"} and "offer" in claims["scope"]
    peer = await offer(secured, created["session_id"], created["token"])
    try:
        await peer.wait_for(lambda m: m["type"] == "video.frame")
        peer.send({"type": "end"})
        report = await peer.wait_for(lambda m: m["type"] == "session.report")
    finally:
        await peer.close()
    url = report["report_url"]
    assert (await call(secured, "GET", url))[0] == 401
    assert (await call(secured, "GET", url, created["token"]))[0] == 200
    assert (await call(secured, "GET", url, KEY))[0] == 200
    status, _, _ = await call(secured, "GET", f"{url}?token={created['token']}&format=json")
    assert status == 200, "a browser following the link passes its token in the query"
    other = await new_session(secured)
    status, body, _ = await call(secured, "GET", url, other["token"])
    assert (status, body["error"]["code"]) == (403, "forbidden")


def token(
    session_id: str,
    *,
    secret: str = SECRET,
    ttl: float = 600,
    now: float | None = None,
    analyzers: tuple[str, ...] = ("video", "audio"),
    scope: tuple[str, ...] = ("offer",),
) -> str:
    return Auth(secret, KEY, ttl).issue(session_id, analyzers=analyzers, scope=scope, now=now) or ""


async def test_offers_with_bad_tokens_are_refused(secured: RunningServer) -> None:
    created = await new_session(secured)
    sid = created["session_id"]
    cases = [
        (None, 401, "no token"),
        ("not.a.jwt", 401, "garbage"),
        (token(sid, secret="another-secret-another-secret-00"), 401, "forged"),
        (token(sid, now=1_000_000.0), 401, "expired"),
        (token("f" * 32), 403, "another session"),
        (token(sid, analyzers=("audio",)), 403, "video not allowed"),
        (token(sid, scope=("report",)), 403, "offer not in scope"),
    ]
    for bad, status, why in cases:
        with pytest.raises(RuntimeError, match=f"offer failed: {status}"):
            await offer(secured, sid, bad)
        assert len(secured.registry) == 0, why
    peer = await offer(secured, sid, created["token"])
    await peer.close()


async def test_open_mode_says_so(server: RunningServer, secured: RunningServer) -> None:
    _, health, _ = await call(server, "GET", "/health")
    assert health["auth"].startswith("disabled")
    _, health, _ = await call(secured, "GET", "/health")
    # Pins: /health without auth showed the store's path and the worker's host:pid.
    assert health == {"status": "ok", "auth": "enabled"}, health
    _, health, _ = await call(secured, "GET", "/health", KEY)
    assert health["auth"] == "enabled" and "worker" in health and "store" in health
    status, body, _ = await call(server, "POST", "/api/sessions")
    assert status == 201 and body["token"] is None


def test_secret_and_key_come_together() -> None:
    with pytest.raises(pydantic.ValidationError, match="LENS_SECRET and LENS_API_KEY together"):
        Settings(secret=SECRET)


def test_a_short_secret_is_refused_at_start_up() -> None:
    """Pins: a 1-byte LENS_SECRET was accepted, and HS256 tokens signed with it guessable."""
    with pytest.raises(pydantic.ValidationError, match="at least 32 bytes"):
        Settings(secret="x", api_key=KEY)
    assert Settings(secret=SECRET, api_key=KEY).secret is not None


async def test_session_options_and_the_token_that_carries_them(
    start_server: StartServer,
) -> None:
    """The platform chooses per session whether it is transcribed and in which language; the
    token grants ``transcript`` only when it is, and bad options are refused with a reason."""
    server = await start_server(secret=SECRET, api_key=KEY, transcript=True)
    status, body, _ = await call(server, "POST", "/api/sessions", KEY, json={"transcript": False})
    assert status == 201 and body["transcript"] is False
    claims = jwt.decode(body["token"], SECRET, algorithms=["HS256"])
    assert claims["analyzers"] == ["video", "audio"], claims
    status, body, _ = await call(server, "POST", "/api/sessions", KEY, json={"language": "en"})
    assert status == 201 and body["transcript"] is True and body["language"] == "en"
    claims = jwt.decode(body["token"], SECRET, algorithms=["HS256"])
    assert claims["analyzers"] == ["video", "audio", "transcript"], claims
    for options, why in [
        ({"language": "auto"}, "multilingual"),  # detection needs a multilingual main model
        ({"language": "fr"}, "'language' must be one of"),
        ({"transcript": "yes"}, "true or false"),
        ({"colour": "red"}, "unknown session option"),
    ]:
        status, body, _ = await call(server, "POST", "/api/sessions", KEY, json=options)
        assert (status, body["error"]["code"]) == (400, "invalid_request"), (options, body)
        assert why in body["error"]["message"], (options, body)
    status, body, _ = await call(server, "POST", "/api/sessions", KEY, data=b"not json")
    assert (status, body["error"]["code"]) == (400, "invalid_request"), body


async def test_an_authorization_header_that_is_not_ascii_is_a_401(secured: RunningServer) -> None:
    """Pins: an Authorization header that is not UTF-8 reached the key comparison and gave a
    500 with a traceback. The bytes go on a raw socket: HTTP clients re-encode header text."""
    host, port = secured.url.removeprefix("http://").split(":")
    for path in ("/api/sessions", "/api/offer"):
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 2\r\n".encode()
            + b"Authorization: Bearer \xff\xfe\xfd\r\nConnection: close\r\n\r\n{}"
        )
        await writer.drain()
        answer = await reader.read()
        writer.close()
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.split()[1] == b"401", (path, answer[:300])
        assert b'"code": "unauthorized"' in rest, (path, answer[-300:])


async def test_offers_without_a_valid_token_are_not_parsed_nor_charged(
    start_server: StartServer,
) -> None:
    """Pins: junk posted to /api/offer without a token was charged to the address's rate limit
    (25 of them got the next valid token holder a 429) and reached the SDP parser before auth."""
    server = await start_server(
        secret=SECRET, api_key=KEY, rate_limit_per_minute=5, rate_limit_burst=5
    )
    for _ in range(25):
        async with (
            aiohttp.ClientSession() as http,
            http.post(server.url + "/api/offer", data=b"not an offer at all") as response,
        ):
            body = await response.json()
            # 401, not 400: the body was never looked at.
            assert (response.status, body["error"]["code"]) == (401, "unauthorized"), body
    created = await new_session(server)
    peer = await offer(server, created["session_id"], created["token"])
    await peer.close()


async def test_error_answers_carry_cors_headers(start_server: StartServer) -> None:
    """Pins: the error middleware sat outside the CORS one, so a browser on an allowed origin
    saw a network failure instead of the 4xx/503 (and LensClient said server_unreachable where
    it should have said server_full with its Retry-After)."""
    server = await start_server(secret=SECRET, api_key=KEY, cors_origins="https://app.example.com")
    origin = {"Origin": "https://app.example.com"}
    async with aiohttp.ClientSession() as http:
        for method, path in (("POST", "/api/offer"), ("GET", "/api/sessions/" + "0" * 32)):
            async with http.request(method, server.url + path, headers=origin) as response:
                assert response.status == 401
                assert response.headers["Access-Control-Allow-Origin"] == origin["Origin"]
                assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]
        async with http.options(
            server.url + "/api/offer",
            headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"},
        ) as response:
            assert response.status == 403 and "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("name", ["api_key", "turn_secret"])
def test_a_short_key_is_refused_at_start_up(name: str) -> None:
    """Pins: LENS_API_KEY=x and LENS_TURN_SECRET=x were accepted (the key was found in 24
    tries)."""
    given: dict[str, Any] = {"secret": SECRET, "api_key": KEY, name: "x"}
    with pytest.raises(pydantic.ValidationError, match="at least 16 characters"):
        Settings(**given)


async def test_guessing_keys_is_slowed_to_a_few_tries_a_minute(
    start_server: StartServer,
) -> None:
    """Pins: 300 wrong keys in 0.49 s, never a 429. Past ten wrong credentials an address gets
    429 with Retry-After, without its credentials being checked (the right key too)."""
    server = await start_server(secret=SECRET, api_key=KEY)
    statuses = [(await call(server, "GET", "/api/sessions", f"guess-{i}"))[0] for i in range(14)]
    assert statuses[:10] == [401] * 10 and statuses[10:] == [429] * 4, statuses
    status, body, headers = await call(server, "GET", "/api/sessions", KEY)
    assert status == 429 and body["error"]["code"] == "rate_limited", body
    assert int(headers["Retry-After"]) >= 1
    status, _, _ = await call(server, "GET", "/health")
    assert status == 200, "a request without credentials is not refused"


def test_a_failed_start_names_the_setting_and_never_prints_a_secret(tmp_path: Path) -> None:
    """Pins: a settings error at start printed pydantic's message, which quotes the values
    (input_value={'secret': 'abc', ...})."""
    root = Path(__file__).resolve().parents[2]
    secret, key = "tiny-secret-value-7c1f", "short-key-9d2e"
    env = {**os.environ, "LENS_SECRET": secret, "LENS_API_KEY": key, "LENS_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(root / "server.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
    )
    said = done.stdout + done.stderr
    assert done.returncode != 0, said
    assert "LENS_API_KEY must be at least 16 characters" in said or "LENS_SECRET" in said, said
    assert secret not in said and key not in said, said


@pytest.mark.parametrize("name", ["LENS_API_KEY", "LENS_TURN_SECRET"])
def test_short_keys_are_refused_at_start_up(name: str) -> None:
    """Pins: ``LENS_API_KEY=x`` was accepted (the key was found in 24 tries)."""
    field = name.removeprefix("LENS_").lower()
    with pytest.raises(pydantic.ValidationError, match=f"at least {MIN_KEY_CHARS} characters"):
        Settings(**{field: "x" * (MIN_KEY_CHARS - 1), "secret": SECRET})  # type: ignore[arg-type]


def test_a_failed_start_never_prints_a_secret(tmp_path: Path) -> None:
    """Pins: a settings error at start printed ``input_value={'secret': 'abc', …}`` and the
    first characters of longer secrets. The real ``server.py``, bad settings, every line of its
    output searched for the values."""
    secrets = {
        "LENS_SECRET": "Zq8kV3wP77xJ",
        "LENS_API_KEY": "Qm4jT9Lc",
        "LENS_TURN_SECRET": "R2dXb7Nh",
    }
    done = subprocess.run(
        [sys.executable, "server.py", "--port", "0"],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, **secrets, "LENS_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "invalid settings" in output, output
    for name, value in secrets.items():
        assert name in output, f"the error should name {name}: {output}"
        for start in range(len(value) - 3):
            assert value[start : start + 4] not in output, f"{name} shows in: {output}"


async def test_metrics_are_for_the_platform_key_when_auth_is_on(secured: RunningServer) -> None:
    """``/metrics`` answered anyone while auth was on: a map of the service for the asking."""
    status, body, headers = await call(secured, "GET", "/metrics")
    assert status == 401 and body["error"]["code"] == "unauthorized", body
    assert headers.get("WWW-Authenticate", "").startswith("Bearer")
    async with (
        aiohttp.ClientSession() as http,
        http.get(secured.url + "/metrics", headers={"Authorization": f"Bearer {KEY}"}) as r,
    ):
        assert r.status == 200 and "lens_sessions" in await r.text()
