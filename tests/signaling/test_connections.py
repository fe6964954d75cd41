"""Slow and greedy HTTP clients against the real ``server.py``: headers that never finish, bodies
sent at a trickle, and hundreds of held sockets from one address. Pins a defect: partial
requests were held ~75 s, with no cap per address, so ~1,000 held sockets under the usual
open-file limit made ``/health`` and offers unreachable for everyone."""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from signaling.http.connections import MAX_REFUSING, client_key
from tests.processes import ServerProcess


async def _open(port: int, source: str = "127.0.0.1") -> tuple[asyncio.StreamReader, Any]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sends until it closes the connection, within ``seconds``."""
    try:
        return await asyncio.wait_for(reader.read(), seconds)
    except TimeoutError:
        raise AssertionError(f"the server held the connection over {seconds} s") from None


async def _health_from(port: int, source: str) -> int:
    reader, writer = await _open(port, source)
    writer.write(b"GET /health HTTP/1.1\r\nHost: lens\r\nConnection: close\r\n\r\n")
    head = (await asyncio.wait_for(reader.read(), 10)).split(b"\r\n", 1)[0]
    writer.close()
    return int(head.split()[1])


async def test_headers_that_never_finish_are_cut_off(
    server_process: Callable[..., Any],
) -> None:
    server: ServerProcess = await server_process(LENS_HTTP_IDLE_TIMEOUT="1")
    reader, writer = await _open(server.port)
    started = time.monotonic()
    writer.write(b"GET /health HTTP/1.1\r\nHost: lens\r\nX-Slow: ")
    assert await _closed_within(reader, 5) == b""
    assert time.monotonic() - started >= 0.9
    writer.close()


async def test_a_body_sent_at_a_trickle_gets_408(server_process: Callable[..., Any]) -> None:
    server: ServerProcess = await server_process(LENS_BODY_TIMEOUT="1")
    reader, writer = await _open(server.port)
    writer.write(
        b"POST /api/offer HTTP/1.1\r\nHost: lens\r\nContent-Type: application/json\r\n"
        b'Content-Length: 500\r\n\r\n{"sdp": '
    )
    answer = await _closed_within(reader, 5)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer[:200]
    assert json.loads(body)["error"]["code"] == "request_timeout", body
    writer.close()


async def test_an_upload_at_a_trickle_gets_408(server_process: Callable[..., Any]) -> None:
    server: ServerProcess = await server_process(LENS_BODY_TIMEOUT="1", LENS_MIN_UPLOAD_RATE="1024")
    reader, writer = await _open(server.port)
    boundary = b"lensboundary"
    writer.write(
        b"POST /api/analyze HTTP/1.1\r\nHost: lens\r\n"
        b"Content-Type: multipart/form-data; boundary=" + boundary + b"\r\n"
        b"Content-Length: 1000000\r\n\r\n--" + boundary + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'
    )

    async def trickle() -> None:
        while True:  # 50 bytes a second: far under the 1 KiB/s asked for
            writer.write(b"x" * 10)
            await asyncio.sleep(0.2)

    sending = asyncio.create_task(trickle())
    try:
        answer = await _closed_within(reader, 10)
    finally:
        sending.cancel()
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), answer[:200]
    assert json.loads(body)["error"]["code"] == "request_timeout", body


def _few_files() -> None:
    """The child's open-file limit, soft and hard, at 256 (a low limit that the server cannot
    raise, so 300 held sockets would exhaust it)."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


async def test_held_sockets_from_one_address_cannot_lock_others_out(
    server_process: Callable[..., Any],
) -> None:
    server: ServerProcess = await server_process(
        preexec=_few_files,
        LENS_HTTP_IDLE_TIMEOUT="120",
        LENS_MAX_CONNECTIONS_PER_ADDRESS="16",
    )
    held = []
    try:
        for _ in range(300):
            try:
                reader, writer = await _open(server.port)
            except OSError:
                break
            writer.write(b"GET /health HTTP/1.1\r\nHost: lens\r\n")  # never finished
            held.append((reader, writer))
        await asyncio.sleep(0.5)
        # The first refusals are answered and held open briefly so the answer arrives; past
        # MAX_REFUSING at once the server closes at once, and the kernel may reset those
        # sockets (so only the first refused one is read here).
        assert len(held) > 16 + MAX_REFUSING, f"only {len(held)} sockets could be opened"
        answer = await asyncio.wait_for(held[16][0].read(), 5)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503"), answer[:200]
        assert json.loads(body)["error"]["code"] == "too_many_connections", body
        # Everyone else still gets through.
        assert await _health_from(server.port, "127.0.0.2") == 200
        assert await _health_from(server.port, "127.0.0.3") == 200
    finally:
        for _, writer in held:
            writer.close()


def test_the_cap_per_address_counts_an_ipv6_client_by_its_64() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:192.0.2.7") == client_key("192.0.2.7") == "192.0.2.7"
    assert client_key("unknown") == "unknown"


async def _keep_alive(port: int, source: str) -> tuple[asyncio.StreamReader, Any]:
    """A keep-alive connection that has had one answer."""
    reader, writer = await _open(port, source)
    await _ask(reader, writer)
    return reader, writer


async def _ask(reader: asyncio.StreamReader, writer: Any) -> None:
    writer.write(b"GET /health HTTP/1.1\r\nHost: lens\r\n\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    await reader.readexactly(length)


async def test_keep_alive_sockets_from_many_addresses_cannot_lock_newcomers_out(
    server_process: Callable[..., Any],
) -> None:
    """Pins: keep-alive sockets that each sent a small request now and then were never closed,
    so 128 addresses could hold all 4,096 connections and every new visitor got 503 (without
    CORS headers). Here 4 addresses hold all 16 connections, asking again every 2 s."""
    server: ServerProcess = await server_process(
        LENS_MAX_CONNECTIONS="16",
        LENS_MAX_CONNECTIONS_PER_ADDRESS="4",
        LENS_HTTP_IDLE_TIMEOUT="120",
        LENS_CORS_ORIGINS="https://app.example",
    )
    held = [await _keep_alive(server.port, f"127.0.0.{10 + i // 4}") for i in range(16)]

    async def keep_asking() -> None:
        while True:
            await asyncio.sleep(2.0)
            for reader, writer in held:
                if not reader.at_eof():
                    with contextlib.suppress(OSError, asyncio.IncompleteReadError, TimeoutError):
                        await _ask(reader, writer)

    asking = asyncio.create_task(keep_asking())
    try:
        await asyncio.sleep(1.2)  # every held connection idle a moment
        statuses = [await _health_from(server.port, f"127.0.0.{50 + i}") for i in range(6)]
        assert statuses == [200] * 6, f"newcomers while every connection was held: {statuses}"
        reader, writer = await _open(server.port, "127.0.0.10")  # over its own cap
        writer.write(b"GET /health HTTP/1.1\r\nHost: lens\r\nOrigin: https://app.example\r\n\r\n")
        refusal = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        head = refusal.split(b"\r\n\r\n")[0]
        assert head.startswith(b"HTTP/1.1 503"), refusal[:200]
        assert b"Access-Control-Allow-Origin: https://app.example" in head, head
    finally:
        asking.cancel()
        await asyncio.gather(asking, return_exceptions=True)
        for _, writer in held:
            writer.close()
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as response:
        metrics = await response.text()
    evicted = [
        line
        for line in metrics.splitlines()
        if line.startswith("lens_http_connections_evicted_total")
    ]
    assert evicted and float(evicted[0].split()[-1]) >= 6, evicted
