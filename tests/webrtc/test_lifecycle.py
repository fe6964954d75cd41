"""Sessions end cleanly however the peer leaves: after close, the server holds no peer
connection, task or thread for it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import threading
from pathlib import Path

import aiohttp
import numpy as np
import pytest
from aiortc import RTCPeerConnection
from aiortc.mediastreams import VideoStreamTrack

from loadtest.peer import AUDIO_SEND_RATE, ClientPeer, SamplesTrack, StillsTrack
from tests.conftest import RunningServer, StartServer
from tests.media import astronaut, place

ROOT = Path(__file__).resolve().parents[2]


def held_by(session_id: str) -> tuple[list[str], list[str]]:
    """Threads and asyncio tasks the server still holds for ``session_id``."""
    threads = [t.name for t in threading.enumerate() if session_id in t.name]
    tasks = [t.get_name() for t in asyncio.all_tasks() if session_id in t.get_name()]
    return threads, tasks


async def wait_released(server: RunningServer, session_id: str, timeout: float) -> float:
    """Seconds until the session, its tasks and its threads are all gone."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while loop.time() - started < timeout:
        threads, tasks = held_by(session_id)
        if server.registry.get(session_id) is None and not threads and not tasks:
            return loop.time() - started
        await asyncio.sleep(0.05)
    threads, tasks = held_by(session_id)
    pytest.fail(
        f"session {session_id} not released after {timeout}s: "
        f"registered={server.registry.get(session_id) is not None} threads={threads} tasks={tasks}"
    )


async def busy_peer(server: RunningServer) -> ClientPeer:
    tone = 0.2 * np.sin(2 * np.pi * 220 * np.arange(AUDIO_SEND_RATE) / AUDIO_SEND_RATE)
    peer = ClientPeer(
        server.url, [StillsTrack([place(astronaut())]), SamplesTrack(tone.astype(np.float32))]
    )
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    await peer.wait_for(lambda m: m["type"] == "video.frame")
    await peer.wait_for(lambda m: m["type"] == "audio.window")
    return peer


async def test_client_close_releases_everything(server: RunningServer) -> None:
    peer = await busy_peer(server)
    session_id = peer.session_id
    assert session_id is not None
    threads, tasks = held_by(session_id)
    assert not threads and len(tasks) >= 4, "no thread of its own; watchdog, pipelines, drains"
    shared = [t for t in threading.enumerate() if t.name.startswith("lens-analysis")]
    assert 1 <= len(shared) <= server.registry.scheduler.threads, "analysis runs on shared threads"
    await peer.close()
    await wait_released(server, session_id, timeout=5)
    assert server.registry.closed_by_reason in ({"channel_closed": 1}, {"connection_closed": 1})


async def test_vanished_client_is_caught_by_the_heartbeat(start_server: StartServer) -> None:
    """A client process killed with SIGKILL sends no goodbye: only the application heartbeat
    notices, long before ICE consent expiry (~30 s) would."""
    server = await start_server(heartbeat_timeout=2.0, heartbeat_interval=0.5)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "loadtest.peer",
        server.url,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 30)
        session_id = json.loads(line)["session_id"]
        session = server.registry.get(session_id)
        assert session is not None
        await asyncio.sleep(1.0)
        assert session.video is not None and session.video.frames_analysed > 0
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    released_after = await wait_released(server, session_id, timeout=8)
    assert released_after < 5
    assert server.registry.closed_by_reason == {"heartbeat_timeout": 1}


async def test_peer_that_never_opens_the_channel_is_closed(start_server: StartServer) -> None:
    server = await start_server(connect_timeout=1.5)
    pc = RTCPeerConnection()
    pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
    pc.createDataChannel("analysis")
    await pc.setLocalDescription(await pc.createOffer())
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{server.url}/api/offer", json={"sdp": pc.localDescription.sdp, "type": "offer"}
            ) as response,
        ):
            session_id = (await response.json())["session_id"]
        # The client never applies the answer: no ICE, no DTLS, no channel.
        await wait_released(server, session_id, timeout=5)
        assert server.registry.closed_by_reason == {"connect_timeout": 1}
    finally:
        await pc.close()


async def test_shutdown_closes_every_peer(start_server: StartServer) -> None:
    server = await start_server()
    peers = [await busy_peer(server) for _ in range(2)]
    try:
        ids = [p.session_id for p in peers]
        await server.runner.shutdown()
        assert len(server.registry) == 0
        assert server.registry.closed_by_reason == {"server_shutdown": 2}
        for session_id in ids:
            assert session_id is not None
            await wait_released(server, session_id, timeout=5)
        for peer in peers:
            await peer.wait_for(
                lambda m: m["type"] == "session.closed" and m["reason"] == "server_shutdown",
                timeout=5,
            )
    finally:
        for peer in peers:
            await peer.close()


async def test_fifty_vanished_peers_are_all_freed(start_server: StartServer) -> None:
    """Fifty client peers in one process, killed at once with SIGKILL: every session, task and
    thread is freed within seconds of the heartbeat lapsing."""
    server = await start_server(
        heartbeat_timeout=2.0,
        heartbeat_interval=0.5,
        max_sessions=60,
        rate_limit_per_minute=600,
        rate_limit_burst=60,
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "loadtest.peer",
        server.url,
        "--count",
        "50",
        "--receive-only",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    ids = []
    try:
        assert child.stdout is not None
        for _ in range(50):
            line = await asyncio.wait_for(child.stdout.readline(), 60)
            ids.append(json.loads(line)["session_id"])
        assert len(server.registry) == 50
        await asyncio.sleep(1.0)
        assert len(server.registry) == 50, "heartbeats keep them alive"
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    loop = asyncio.get_running_loop()
    started = loop.time()
    for session_id in ids:
        await wait_released(server, session_id, timeout=10)
    assert loop.time() - started < 2.0 + 5.0
    assert server.registry.closed_by_reason == {"heartbeat_timeout": 50}
    shared = [t for t in threading.enumerate() if t.name.startswith("lens-analysis")]
    assert len(shared) <= server.registry.scheduler.threads, "threads do not grow with sessions"
