"""A worker that dies mid-interview: its sessions are ended ``worker_lost`` with a report from
their last checkpoint, by the server that replaces it (at start-up) or by any other worker of
the deployment (when its heartbeat runs out). Pins a defect: after a crash its sessions stayed
``active`` for ever and their report answered ``409 session_in_progress``."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

import aiohttp

from loadtest.peer import ClientPeer
from tests.processes import ServerProcess
from tests.redis_server import RedisServer
from tests.signaling.test_erasure import interview

FAST = {
    "LENS_CHECKPOINT_INTERVAL": "1",
    "LENS_SESSION_SYNC_INTERVAL": "0.5",
    "LENS_WORKER_TIMEOUT": "3",
}


async def _get(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.json()


async def _interview(url: str, speech: tuple) -> ClientPeer:
    """A peer with camera and microphone whose analysis has run for a few seconds, and a
    checkpoint of it stored."""
    peer = await interview(url, speech, seconds=3.0)
    await asyncio.sleep(1.5)  # a checkpoint, written behind
    return peer


async def _ended_lost(url: str, session_id: str, timeout: float) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    record: dict[str, Any] = {}
    while loop.time() < deadline:
        status, record = await _get(f"{url}/api/sessions/{session_id}")
        if status == 200 and record["state"] == "ended":
            break
        await asyncio.sleep(0.2)
    assert record.get("state") == "ended", f"expected the lost session ended, got {record}"
    assert record["end_reason"] == "worker_lost" and record["worker"] is None, record
    return record


def _assert_report_of_what_was_analysed(report: dict[str, Any]) -> None:
    assert report["end_reason"] == "worker_lost", report["end_reason"]
    assert report["quality"]["frames_analysed"] >= 10, report["quality"]
    assert report["summary"]["face_visible_ratio"] > 0.9, report["summary"]
    assert report["summary"]["talk_ratio"] is not None, report["summary"]
    assert report["duration"] >= 3.0, report["duration"]


async def test_the_next_server_ends_the_sessions_of_one_that_crashed(
    server_process: Callable[..., Any], speech: tuple
) -> None:
    crashed: ServerProcess = await server_process(**FAST)
    peer = await _interview(crashed.url, speech)
    try:
        session_id = str(peer.session_id)
        status, record = await _get(f"{crashed.url}/api/sessions/{session_id}")
        assert record["state"] == "active", record
        crashed.send(signal.SIGKILL)
        await crashed.wait(10)
    finally:
        await peer.close()
    # Same data directory, same machine: the new server knows at once that the pid is gone.
    restarted: ServerProcess = await server_process(**FAST)
    await _ended_lost(restarted.url, session_id, 5)
    status, report = await _get(f"{restarted.url}/api/sessions/{session_id}/report")
    assert status == 200, (status, report)
    _assert_report_of_what_was_analysed(report)


async def test_another_worker_ends_them_when_the_heartbeat_runs_out(
    server_process: Callable[..., Any], redis_server: RedisServer, speech: tuple
) -> None:
    shared = {**FAST, "LENS_REDIS_URL": redis_server.url}
    doomed: ServerProcess = await server_process(name="a", **shared)
    survivor: ServerProcess = await server_process(name="b", **shared)
    peer = await _interview(doomed.url, speech)
    try:
        session_id = str(peer.session_id)
        # SIGSTOP: the process is still there (no machine-local shortcut), it just stops
        # beating, as a hung or partitioned worker would.
        doomed.send(signal.SIGSTOP)
        record = await _ended_lost(survivor.url, session_id, 10)
        assert record["ended_at"] is not None, record
        status, report = await _get(f"{survivor.url}/api/sessions/{session_id}/report")
        assert status == 200, (status, report)
        _assert_report_of_what_was_analysed(report)
    finally:
        doomed.send(signal.SIGKILL)
        await peer.close()
