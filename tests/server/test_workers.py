"""The real ``server.py`` as a person starts it: several workers on one port sharing sessions
and reports through the store, and media on a configured UDP range."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from loadtest.peer import ClientPeer, StillsTrack
from signaling.storage.sqlite_store import SqliteStore
from tests.media import astronaut, place
from tests.processes import ServerProcess
from tests.signaling.test_erasure import read_only, root_without_override
from tests.webrtc.test_udp_ports import free_udp_range

CANDIDATE_PORT = re.compile(r"a=candidate:\S+ \d+ udp \d+ \S+ (\d+) typ host")


@pytest.fixture
def start_cli(server_process: Callable[..., Any]) -> Callable[..., Any]:
    async def start(*args: str, **env: str) -> str:
        return str((await server_process(*args, **env)).url)

    return start


async def fresh_get(url: str) -> dict:
    """A request on a new connection, so the kernel may pick any worker."""
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        return await response.json()


async def up(url: str, seconds: float) -> dict:
    """``fresh_get`` once the process behind ``url`` listens: a process is logged as started
    when it is spawned, before it has loaded what it serves."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        try:
            return await fresh_get(url)
        except aiohttp.ClientConnectorError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_workers_share_sessions_and_reports(start_cli: Callable[..., object]) -> None:
    url = await start_cli("--workers", "2")  # type: ignore[misc]
    workers: set[str] = set()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30  # each worker loads its models before it listens
    while len(workers) < 2 and loop.time() < deadline:
        workers.add((await fresh_get(f"{url}/health"))["worker"])
        await asyncio.sleep(0.05)
    assert len(workers) == 2, "two processes answer on one port"
    assert (await fresh_get(f"{url}/health"))["event_loop"] == "uvloop", "the default, installed"
    created = []
    for _ in range(6):
        async with aiohttp.ClientSession() as http, http.post(f"{url}/api/sessions") as response:
            created.append((await response.json())["session_id"])
    for _ in range(4):
        listing = await fresh_get(f"{url}/api/sessions?limit=100")
        assert {s["id"] for s in listing["sessions"]} >= set(created)
    peer = ClientPeer(url, [StillsTrack([place(astronaut())])], session_id=created[0])
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    await peer.wait_for(lambda m: m["type"] == "video.frame")
    peer.send({"type": "end"})
    report = await peer.wait_for(lambda m: m["type"] == "session.report")
    await peer.close()
    await asyncio.sleep(0.5)  # the owning worker writes the report behind
    for _ in range(6):
        body = await fresh_get(url + report["report_url"])
        assert body["summary"]["expression"]["dominant"] == "happy"


async def test_media_uses_the_configured_udp_range(start_cli: Callable[..., object]) -> None:
    ports = free_udp_range(20)
    url = await start_cli(  # type: ignore[misc]
        LENS_UDP_PORTS=f"{ports.start}-{ports[-1]}", LENS_EVENT_LOOP="asyncio"
    )
    assert (await fresh_get(f"{url}/health"))["event_loop"] == "asyncio"
    peer = ClientPeer(url, [StillsTrack([place(astronaut())])])
    async with aiohttp.ClientSession() as http:
        answer = await peer.connect(http)
    try:
        await peer.wait_for(lambda m: m["type"] == "video.frame" and m["face"])
    finally:
        await peer.close()
    used = [int(p) for p in CANDIDATE_PORT.findall(answer["sdp"])]
    assert used and all(p in ports for p in used), (used, ports)


async def test_a_killed_worker_is_replaced_and_the_service_stops_cleanly(
    server_process: Callable[..., Any],
) -> None:
    """Pins: with ``--workers 2`` a SIGKILLed worker stayed a zombie, the service ran on one
    worker for good, and the supervisor exited 0 regardless. With transcripts on, the workers
    share the machine's one recogniser, which stops with them."""
    server = await server_process("--workers", "2", LENS_TRANSCRIPT="true")
    url = str(server.url)
    shared = re.search(r"the machine's recogniser: pid (\d+) on (127\.0\.0\.1:\d+)", server.log())
    assert shared, f"no shared recogniser started: {server.log()}"
    assert (await up(f"http://{shared[2]}/health", 60))["status"] == "ok"
    loop = asyncio.get_running_loop()

    async def workers_seen(seconds: float) -> set[str]:
        seen: set[str] = set()
        deadline = loop.time() + seconds
        while len(seen) < 2 and loop.time() < deadline:
            try:
                seen.add((await fresh_get(f"{url}/health"))["worker"])
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
        return seen

    first = await workers_seen(30)
    assert len(first) == 2, f"two workers answer: {first}"
    victim = int(sorted(first)[0].split(":")[1])
    os.kill(victim, signal.SIGKILL)
    replaced: set[str] = set()
    deadline = loop.time() + 60
    while loop.time() < deadline and not (replaced - first):
        replaced |= await workers_seen(2)
    assert replaced - first, f"no new worker after killing pid {victim}: {server.log()}"
    assert "died with exit code" in server.log() and "restarted as pid" in server.log()
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
        metrics = await response.text()
    assert "lens_worker_restarts_total 1.0" in metrics, "the restart is counted in /metrics"
    server.send(signal.SIGTERM)
    assert await server.wait(60) == 0, server.log()
    gone = not await asyncio.to_thread(Path(f"/proc/{shared[1]}").exists)
    assert gone, "the recogniser outlived the service"


async def test_the_supervisor_gives_up_on_workers_that_die_at_once(tmp_path: Path) -> None:
    """Workers that cannot start (their data directory cannot be written) are restarted with
    growing pauses; past five deaths in a minute the supervisor stops and exits 1, saying so,
    instead of restarting for ever or exiting 0."""
    data = tmp_path / "data"
    store = SqliteStore(data / "lens.sqlite3")
    await store.start()
    await store.close()
    await asyncio.to_thread(read_only, data)
    process = ServerProcess(
        tmp_path / "run",
        "--workers",
        "2",
        env={"LENS_DATA_DIR": str(data), "LENS_TRANSCRIPT": "false"},
        preexec=root_without_override if os.geteuid() == 0 else None,
    )
    with pytest.raises(AssertionError, match="did not start"):
        await process.start(timeout=90)
    assert await process.wait(5) == 1, process.log()
    log = process.log()
    assert log.count("died with exit code 1; restarting it") >= 4, log
    assert "giving up" in log, log
