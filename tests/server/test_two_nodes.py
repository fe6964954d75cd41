"""One deployment of two nodes: two independent ``server.py`` processes (own ports, own data
directories) sharing one real ``redis-server``, behind a real HAProxy running
``deploy/haproxy.cfg``. Sessions made through the balancer connect through it; records and
reports read the same from either node; DELETE through one stops a session running on the
other; a node killed with SIGKILL leaves the other serving and its sessions ended
``worker_lost``; a draining node sends new sessions to the other while its own finish."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from loadtest.peer import ClientPeer, StillsTrack
from tests.balancer import HaProxy
from tests.media import astronaut, place
from tests.processes import ServerProcess
from tests.redis_server import RedisServer, free_port

NODE = {
    "LENS_CHECKPOINT_INTERVAL": "1",
    "LENS_SESSION_SYNC_INTERVAL": "0.5",
    "LENS_WORKER_TIMEOUT": "3",
    "LENS_DRAIN_TIMEOUT": "60",
    "LENS_TRUST_FORWARDED": "true",
}


async def call(url: str, method: str = "GET") -> tuple[int, dict[str, Any]]:
    """One request on a connection of its own (so the balancer may pick either node)."""
    async with aiohttp.ClientSession() as http, http.request(method, url) as response:
        body = await response.json() if response.content_type == "application/json" else {}
        return response.status, body


async def join(balancer: str, session_id: str | None = None) -> ClientPeer:
    """A candidate's browser: offer through the balancer (again after a ``503 draining``, as
    ``LensClient`` does after Retry-After), then the first analysed frame."""
    for _ in range(20):
        peer = ClientPeer(balancer, [StillsTrack([place(astronaut())])], session_id=session_id)
        try:
            async with aiohttp.ClientSession() as http:
                await peer.connect(http)
        except RuntimeError as exc:
            await peer.close()
            if "draining" not in str(exc):
                raise
            await asyncio.sleep(1)
            continue
        await peer.wait_for(lambda m: m["type"] == "video.frame", 20, "the first video.frame")
        return peer
    raise AssertionError("every offer met a draining node")


async def worker_of(node: ServerProcess) -> str:
    status, health = await call(f"{node.url}/health")
    assert status == 200, health
    return str(health["worker"])


@pytest.fixture
async def balancer_for(tmp_path: Path) -> AsyncIterator[Callable[[int, int], Any]]:
    started: list[HaProxy] = []

    async def start(node1: int, node2: int) -> HaProxy:
        balancer = HaProxy(tmp_path / "haproxy", node1, node2)
        started.append(balancer)
        return await balancer.start()

    yield start
    for balancer in started:
        await balancer.stop()


async def test_two_nodes_behind_haproxy(
    server_process: Callable[..., Any],
    redis_server: RedisServer,
    balancer_for: Callable[[int, int], Any],
) -> None:
    shared = {**NODE, "LENS_REDIS_URL": redis_server.url}
    port_b = free_port()
    a: ServerProcess = await server_process(name="a", **shared)
    b: ServerProcess = await server_process(name="b", port=port_b, **shared)
    lb = (await balancer_for(a.port, b.port)).url
    workers = {await worker_of(a): "a", await worker_of(b): "b"}
    peers: list[ClientPeer] = []
    try:
        # Sessions created through the balancer, then connected through it: four offers in a
        # row, which round-robin puts two on each node.
        ids = []
        for _ in range(4):
            status, created = await call(f"{lb}/api/sessions", "POST")
            assert status == 201, created
            ids.append(created["session_id"])
        for session_id in ids:
            peers.append(await join(lb, session_id))
        owner = {}
        for session_id in ids:
            seen = [(await call(f"{node.url}/api/sessions/{session_id}"))[1] for node in (a, b)]
            assert {(r["state"], r["worker"]) for r in seen} == {("active", seen[0]["worker"])}
            owner[session_id] = workers[seen[0]["worker"]]
        assert sorted(owner.values()) == ["a", "a", "b", "b"], owner

        # DELETE through the node that does not run the session stops it where it runs.
        on_a = [i for i in ids if owner[i] == "a"]
        on_b = [i for i in ids if owner[i] == "b"]
        deleted = peers[ids.index(on_a[0])]
        status, _ = await call(f"{b.url}/api/sessions/{on_a[0]}", "DELETE")
        assert status == 204
        closed = await deleted.wait_for(lambda m: m["type"] == "session.closed", 10, "closed")
        assert closed["reason"] == "deleted", closed

        # A node killed outright: the other ends its sessions (worker_lost, with the report
        # of their last checkpoint) and the balancer keeps serving.
        for session_id in on_b:  # long enough for a checkpoint (every second here)
            await peers[ids.index(session_id)].wait_for(
                lambda m: m["type"] == "video.frame" and m["t"] >= 2.5, 20, "2.5 s of video"
            )
        b.send(signal.SIGKILL)
        await b.wait(10)
        for session_id in on_b:
            record: dict[str, Any] = {}
            for _ in range(50):
                _, record = await call(f"{lb}/api/sessions/{session_id}")
                if record.get("state") == "ended":
                    break
                await asyncio.sleep(0.2)
            assert record.get("end_reason") == "worker_lost", record
            status, report = await call(f"{lb}/api/sessions/{session_id}/report")
            assert status == 200 and report["quality"]["frames_analysed"] > 0, report
        after_kill = await join(lb)
        peers.append(after_kill)
        _, record = await call(f"{lb}/api/sessions/{after_kill.session_id}")
        assert workers[record["worker"]] == "a", record

        # The killed node comes back (a new process on its port); then node a drains: its
        # live session goes on, new ones land on b.
        b = await server_process(name="b", port=port_b, **shared)
        workers[await worker_of(b)] = "b"
        survivor = peers[ids.index(on_a[1])]
        for _ in range(50):  # until the balancer's health checks have b back in rotation
            answered = {(await call(f"{lb}/health"))[1]["worker"] for _ in range(4)}
            if {workers.get(w) for w in answered} == {"a", "b"}:
                break
            await asyncio.sleep(0.2)
        a.send(signal.SIGTERM)
        await survivor.wait_for(lambda m: m["type"] == "session.draining", 10, "draining")
        for _ in range(3):
            peer = await join(lb)
            peers.append(peer)
            _, record = await call(f"{lb}/api/sessions/{peer.session_id}")
            assert workers[record["worker"]] == "b", (record, workers)
        frames = len(survivor.of_type("video.frame"))
        await survivor.wait_for(
            lambda m: len(survivor.of_type("video.frame")) >= frames + 5, 10, "frames on a"
        )
        for peer in (survivor, after_kill):  # a's interviews end: then a leaves
            peer.send({"type": "end"})
            await peer.wait_for(lambda m: m["type"] == "session.report", 20, "the report")
        assert await a.wait(20) == 0, a.log()
        status, report = await call(f"{b.url}/api/sessions/{survivor.session_id}/report")
        assert status == 200 and report["end_reason"] == "ended", report
    finally:
        for peer in peers:
            await peer.close()
