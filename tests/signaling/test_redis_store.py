"""Redis as the store, against a real redis-server: the key layout, results streamed for a
platform's consumer groups, and a Redis that dies mid-session."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import numpy as np
import pytest
import redis.asyncio as aioredis

from loadtest.peer import AUDIO_SEND_RATE, ClientPeer, SamplesTrack, StillsTrack
from signaling.http.app_keys import STORE
from signaling.storage import SessionRecord
from signaling.storage.redis_store import RedisStore
from tests.conftest import RunningServer, StartServer
from tests.media import astronaut, place
from tests.redis_server import RedisServer
from webrtc.lifecycle import SessionState


@pytest.fixture
async def client(redis_server: RedisServer) -> AsyncIterator[Any]:
    """A client that decodes replies to ``str`` (typed ``Any``: redis-py's types do not follow
    ``decode_responses``)."""
    connection = aioredis.from_url(redis_server.url, decode_responses=True)
    yield connection
    await connection.aclose()


async def test_records_reports_results_and_their_keys(
    redis_server: RedisServer, client: Any
) -> None:
    store = RedisStore(redis_server.url, prefix="t", record_ttl=3600, stream_maxlen=100)
    await store.start()
    try:
        records = [
            SessionRecord(
                id=f"{i:032x}", state=SessionState.CREATED, created_at=1000.0 + i, expires_at=2000.0
            )
            for i in range(3)
        ]
        for record in records:
            await store.put_session(record)
        assert await store.get_session(records[1].id) == records[1]
        page, total = await store.list_sessions(0, 2)
        assert total == 3 and [r.id for r in page] == [records[2].id, records[1].id]
        for i in range(1000):
            store.append_result(records[0].id, "audio.window", json.dumps({"n": i}))
        store.enqueue_report(records[0].id, {"summary": {"talk_ratio": 0.5}})
        store.enqueue_event("session.ended", records[0].id)
        assert await store.writer.drain()
        assert await store.get_report(records[0].id) == {"summary": {"talk_ratio": 0.5}}
        length = await client.xlen(f"t:results:{records[0].id}")
        assert 100 <= length < 400, "trimmed with MAXLEN ~ 100"
        last = await client.xrevrange(f"t:results:{records[0].id}", count=1)
        assert json.loads(last[0][1]["body"]) == {"n": 999}
        for key in (
            f"t:session:{records[0].id}",
            f"t:results:{records[0].id}",
            f"t:report:{records[0].id}",
        ):
            assert 0 < await client.ttl(key) <= 3600
        events = await client.xrange("t:events")
        assert events[-1][1] == {"event": "session.ended", "session_id": records[0].id}
        # A batch retried after a pipeline died half-way is not stored twice.
        batch = [("result", "f" * 32, f"1700000000000-{n}", "pong", "{}") for n in range(3)]
        await store._flush(batch)
        await store._flush(batch)
        assert await client.xlen(f"t:results:{'f' * 32}") == 3
        assert await store.delete_session(records[0].id)
        assert await store.get_session(records[0].id) is None
        assert not await client.exists(f"t:results:{records[0].id}", f"t:report:{records[0].id}")
        assert (await store.list_sessions(0, 10))[1] == 2
    finally:
        await store.close()


async def busy_peer(server: RunningServer) -> ClientPeer:
    tone = 0.2 * np.sin(2 * np.pi * 220 * np.arange(AUDIO_SEND_RATE) / AUDIO_SEND_RATE)
    peer = ClientPeer(
        server.url,
        [StillsTrack([place(astronaut())]), SamplesTrack(tone.astype(np.float32))],
    )
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    return peer


async def end(peer: ClientPeer, server: RunningServer) -> None:
    """End the session and wait until the server has let it go: its record and report are
    queued for the store only then, a moment after ``session.closed`` reached the client."""
    peer.send({"type": "end"})
    await peer.wait_for(lambda m: m["type"] == "session.closed")
    await peer.close()
    for _ in range(200):
        if server.registry.get(peer.session_id or "") is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"session {peer.session_id} still held by the server 10 s after it closed")


async def test_live_results_stream_to_a_consumer_group(
    start_server: StartServer, redis_server: RedisServer, client: Any
) -> None:
    server = await start_server(redis_url=redis_server.url, summary_interval=0.5)
    peer = await busy_peer(server)
    await peer.wait_for(lambda m: m["type"] == "summary")
    await end(peer, server)
    assert await server.app[STORE].writer.drain()
    stream = f"lens:results:{peer.session_id}"
    await client.xgroup_create(stream, "platform", id="0")
    delivered = await client.xreadgroup("platform", "worker-1", {stream: ">"}, count=100_000)
    entries = delivered[0][1]
    assert [e[1]["type"] for e in entries] == [m["type"] for m in peer.messages]
    assert [json.loads(e[1]["body"]) for e in entries] == peer.messages
    assert await client.xack(stream, "platform", *[e[0] for e in entries]) == len(entries)
    report = json.loads(await client.get(f"lens:report:{peer.session_id}"))
    assert report["summary"]["eye_contact_ratio"] == 1.0
    record = json.loads(await client.get(f"lens:session:{peer.session_id}"))
    assert record["state"] == "ended"


async def test_redis_dying_mid_session_loses_nothing_that_fit_the_buffer(
    start_server: StartServer, redis_server: RedisServer, client: Any
) -> None:
    server = await start_server(redis_url=redis_server.url)
    store = server.app[STORE]
    peer = await busy_peer(server)
    await peer.wait_for(lambda m: m["type"] == "video.frame" and m["t"] >= 1.0)
    await redis_server.kill()
    during = len(peer.messages)
    await peer.wait_for(lambda m: m["type"] == "video.frame" and m["t"] >= 3.0)
    assert len(peer.messages) > during + 10, "analysis and the channel carry on"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/health") as response:
            health = await response.json()
            assert health["store"]["healthy"] is False and health["store"]["pending"] > 0
        async with http.get(f"{server.url}/api/sessions") as response:
            assert response.status == 503
            assert (await response.json())["error"]["code"] == "service_unavailable"
    await redis_server.start()
    await end(peer, server)
    assert await store.writer.drain(timeout=15)
    assert store.writer.healthy and store.writer.dropped == 0
    stored = await client.xlen(f"lens:results:{peer.session_id}")
    assert stored == len(peer.messages)
    assert await client.get(f"lens:report:{peer.session_id}") is not None


async def test_a_long_outage_drops_the_oldest_writes_and_counts_them(
    start_server: StartServer, redis_server: RedisServer, client: Any
) -> None:
    server = await start_server(redis_url=redis_server.url, redis_buffer_size=20)
    store = server.app[STORE]
    await redis_server.kill()
    peer = await busy_peer(server)
    await peer.wait_for(lambda m: m["type"] == "video.frame" and m["t"] >= 3.0)
    assert store.writer.dropped > 0 and store.writer.pending <= 20
    await redis_server.start()
    await end(peer, server)
    assert await store.writer.drain(timeout=15)
    stored = await client.xlen(f"lens:results:{peer.session_id}")
    assert 0 < stored < len(peer.messages)
    assert await client.get(f"lens:report:{peer.session_id}") is not None, "newest writes win"


async def test_a_subject_indexes_its_sessions_until_they_go(
    redis_server: RedisServer, client: Any
) -> None:
    """``lens:subject:{subject}``: the person's sessions oldest first, expiring with the
    records; a deleted session leaves it, and erasing the person drops it."""
    store = RedisStore(redis_server.url, prefix="t", record_ttl=3600, stream_maxlen=100)
    await store.start()
    try:
        records = [
            SessionRecord(
                id=f"{i + 100:032x}",
                state=SessionState.CREATED,
                created_at=3000.0 - i,
                expires_at=4000.0,
                subject="p-1" if i < 2 else "p-2",
            )
            for i in range(3)
        ]
        for record in records:
            await store.put_session(record)
        mine = await store.subject_sessions("p-1")
        assert [r.id for r in mine] == [records[1].id, records[0].id], "oldest first"
        assert 0 < await client.ttl("t:subject:p-1") <= 3600
        assert await store.delete_session(records[0].id)
        assert await client.zrange("t:subject:p-1", 0, -1) == [records[1].id]
        await store.forget_subject("p-1")
        assert not await client.exists("t:subject:p-1")
        assert [r.id for r in await store.subject_sessions("p-2")] == [records[2].id]
    finally:
        await store.close()
