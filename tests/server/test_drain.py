"""Graceful drain of the real ``server.py``: the first SIGTERM stops new sessions (``/health``
and offers answer ``503 draining``) while live ones get ``session.draining`` and time to finish;
a second SIGTERM (or SIGINT) ends them at once, each with its report.

Each test pins a defect: SIGTERM used to end every interview at once."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from loadtest.peer import ClientPeer, StillsTrack
from tests.media import astronaut, place
from tests.processes import ServerProcess


async def _connect(server: ServerProcess) -> ClientPeer:
    peer = ClientPeer(server.url, [StillsTrack([place(astronaut())])])
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    await peer.wait_for(lambda m: m["type"] == "video.frame", 20, "the first video.frame")
    return peer


async def _drain(server: ServerProcess, peer: ClientPeer) -> dict[str, Any]:
    """SIGTERM, and the ``session.draining`` message it brings the peer."""
    server.send(signal.SIGTERM)
    return await peer.wait_for(
        lambda m: m["type"] == "session.draining", 10, "session.draining after SIGTERM"
    )


async def _get(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.json()


async def test_sigterm_drains_live_sessions_and_refuses_new_ones(
    server_process: Callable[..., Any],
) -> None:
    server: ServerProcess = await server_process(LENS_DRAIN_TIMEOUT="60")
    peer = await _connect(server)
    try:
        draining = await _drain(server, peer)
        assert 50 < draining["deadline"] - time.time() <= 60, draining
        status, health = await _get(f"{server.url}/health")
        assert (status, health["status"]) == (503, "draining"), (status, health)
        late = ClientPeer(server.url, [StillsTrack([place(astronaut())])])
        async with aiohttp.ClientSession() as http:
            try:
                await late.connect(http)
                raise AssertionError("an offer to a draining server was answered")
            except RuntimeError as exc:
                assert "503" in str(exc) and "draining" in str(exc), exc
            finally:
                await late.close()
        # The interview goes on: results keep coming after the drain began.
        seen = len(peer.of_type("video.frame"))
        await peer.wait_for(
            lambda m: len(peer.of_type("video.frame")) >= seen + 5, 10, "frames while draining"
        )
        peer.send({"type": "end"})
        report = await peer.wait_for(lambda m: m["type"] == "session.report", 20, "the report")
        closed = await peer.wait_for(lambda m: m["type"] == "session.closed", 10, "closed")
        assert closed["reason"] == "ended" and report["quality"]["frames_analysed"] > 5
    finally:
        await peer.close()
    # The last session ended: the worker leaves well before the drain timeout.
    assert await server.wait(20) == 0, server.log()


async def test_the_drain_timeout_ends_the_rest_with_their_reports(
    server_process: Callable[..., Any],
) -> None:
    server: ServerProcess = await server_process(LENS_DRAIN_TIMEOUT="2")
    peer = await _connect(server)
    try:
        await _drain(server, peer)
        report = await peer.wait_for(
            lambda m: m["type"] == "session.report", 15, "the report at the drain timeout"
        )
        closed = await peer.wait_for(lambda m: m["type"] == "session.closed", 10, "closed")
        assert closed["reason"] == "server_shutdown", closed
        assert report["quality"]["frames_analysed"] > 0, report
    finally:
        await peer.close()
    assert await server.wait(20) == 0, server.log()


async def test_a_second_sigterm_ends_every_session_at_once(
    server_process: Callable[..., Any],
) -> None:
    server: ServerProcess = await server_process(LENS_DRAIN_TIMEOUT="600")
    peer = await _connect(server)
    try:
        await _drain(server, peer)
        server.send(signal.SIGTERM)
        await peer.wait_for(lambda m: m["type"] == "session.report", 15, "the report")
        closed = await peer.wait_for(lambda m: m["type"] == "session.closed", 10, "closed")
        assert closed["reason"] == "server_shutdown", closed
    finally:
        await peer.close()
    assert await server.wait(20) == 0, server.log()
    # The report was kept: the next server on the same data directory serves it.
    again: ServerProcess = await server_process()
    status, body = await _get(f"{again.url}/api/sessions/{peer.session_id}/report")
    assert status == 200 and body["end_reason"] == "server_shutdown", (status, body)
