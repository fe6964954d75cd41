"""Erasure that sticks and writes that wait: a DELETE the store cannot take changes nothing; one
it can take can only end in "erased", whatever dies on the way; a session ended while the disk
is full keeps its report; a data directory that cannot be written refuses to start.

Pins the defects an adversarial pass found: a DELETE against a locked database ended the live
session and erased nothing, and after a restart the session came back ``worker_lost`` with its
report; SQLite write errors were discarded ("N writes discarded") with ``/health`` saying
``ok``; a read-only data directory served and dropped every write."""

from __future__ import annotations

import asyncio
import ctypes
import os
import resource
import signal
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from loadtest.peer import AUDIO_SEND_RATE, ClientPeer, SamplesTrack, StillsTrack
from signaling.http.app_keys import STORE
from signaling.storage import ReadOnlyDataDir, SessionRecord, StoreUnavailable
from signaling.storage.redis_store import RedisStore
from signaling.storage.sqlite_store import SqliteStore
from tests.conftest import StartServer
from tests.media import astronaut, place, resample
from tests.processes import ServerProcess
from tests.redis_server import RedisServer
from webrtc.lifecycle import SessionState

FAST = {"LENS_SESSION_SYNC_INTERVAL": "0.5", "LENS_CHECKPOINT_INTERVAL": "1"}


async def call(url: str, method: str = "GET") -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, http.request(method, url) as response:
        body = await response.json() if response.content_type == "application/json" else {}
        return response.status, body


async def interview(url: str, speech: tuple, seconds: float = 2.0) -> ClientPeer:
    """A peer with camera and microphone whose analysis has run for ``seconds``."""
    samples, rate = speech
    audio = SamplesTrack(resample(samples, rate, AUDIO_SEND_RATE))
    peer = ClientPeer(url, [StillsTrack([place(astronaut())]), audio])
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    await peer.wait_for(
        lambda m: m["type"] == "video.frame" and m["t"] >= seconds, 30, f"{seconds:g} s of video"
    )
    return peer


async def delete_ends_it(url: str, session_id: str, peer: ClientPeer) -> None:
    """A DELETE that erases: 204, and the live session is told it was deleted."""
    status, _ = await call(f"{url}/api/sessions/{session_id}", "DELETE")
    assert status == 204, status
    closed = await peer.wait_for(lambda m: m["type"] == "session.closed", 10, "the end")
    assert closed["reason"] == "deleted", closed


async def until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = None
    while loop.time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"expected {what} within {timeout} s; last saw {last!r}")


async def test_a_delete_the_locked_database_cannot_take_changes_nothing(
    server_process: Callable[..., Any], speech: tuple
) -> None:
    """Another connection holds SQLite's exclusive lock: the DELETE answers 503 after its 5 s of
    retries and the interview goes on untouched; retried once the lock is gone, it ends the
    session and erases it, and a restart does not bring it back."""
    server: ServerProcess = await server_process(**FAST)
    peer = await interview(server.url, speech)
    session_id = str(peer.session_id)
    database = server.directory / "data" / "lens.sqlite3"
    try:
        blocker = sqlite3.connect(database, timeout=1)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            status, body = await call(f"{server.url}/api/sessions/{session_id}", "DELETE")
            assert (status, body["error"]["code"]) == (503, "service_unavailable"), body
            assert "nothing was changed" in body["error"]["message"], body
            heard = len(peer.messages)
            await asyncio.sleep(1.0)
            assert not peer.of_type("session.closed"), "the session was not ended"
            assert len(peer.messages) > heard, "and its results keep coming"
        finally:
            blocker.rollback()
            blocker.close()
        await delete_ends_it(server.url, session_id, peer)
    finally:
        await peer.close()
    await server.stop()
    restarted: ServerProcess = await server_process(**FAST)
    for path in (f"/api/sessions/{session_id}", f"/api/sessions/{session_id}/report"):
        status, body = await call(restarted.url + path)
        assert status == 404, f"{path} after a restart: {status} {body}"


async def test_a_delete_cut_short_by_a_crash_ends_in_erased(
    server_process: Callable[..., Any], speech: tuple
) -> None:
    """The worker dies right after the DELETE's mark landed (written here by hand, then
    SIGKILL): the next server does not recover the session as ``worker_lost``; it finishes
    the erasure."""
    server: ServerProcess = await server_process(**FAST)
    peer = await interview(server.url, speech)
    session_id = str(peer.session_id)
    await asyncio.sleep(1.5)  # a checkpoint stored: what a recovery would make a report of
    database = server.directory / "data" / "lens.sqlite3"
    with sqlite3.connect(database, timeout=5) as db:
        assert db.execute("SELECT 1 FROM checkpoints WHERE session_id = ?", (session_id,))
        db.execute("INSERT INTO deleted VALUES (?, 0)", (session_id,))
    server.send(signal.SIGKILL)
    await server.wait(10)
    await peer.close()
    restarted: ServerProcess = await server_process(**FAST)
    for path in (f"/api/sessions/{session_id}", f"/api/sessions/{session_id}/report"):
        status, body = await call(restarted.url + path)
        assert status == 404, f"{path} after the crash: {status} {body}"

    async def erased() -> bool:
        with sqlite3.connect(database, timeout=5) as db:
            rows = [
                db.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (session_id,))
                for table, column in (
                    ("sessions", "id"),
                    ("reports", "session_id"),
                    ("checkpoints", "session_id"),
                )
            ]
            return all(row.fetchone()[0] == 0 for row in rows)

    await until(erased, 10, "the session's rows erased by the new server")


async def test_a_session_ended_while_the_disk_is_full_keeps_its_report(
    server_process: Callable[..., Any], speech: tuple
) -> None:
    """The server may not grow any file (``RLIMIT_FSIZE`` 0: every write to the database
    fails, as on a full disk) while an interview ends: the person gets the report, the worker
    serves it, ``/health`` says ``degraded`` and why; once the disk has room the record and the
    report are stored, and a restart finds them, ended as the person ended it."""
    server: ServerProcess = await server_process(**FAST)
    assert server.process is not None
    pid = server.process.pid
    peer = await interview(server.url, speech)
    session_id = str(peer.session_id)
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
    try:
        peer.send({"type": "end"})
        await peer.wait_for(lambda m: m["type"] == "session.report", 20, "the report message")
        health = await until(
            lambda: _health_if(server.url, "degraded"), 15, "/health degraded while disk is full"
        )
        assert any("store is failing" in p for p in health["problems"]), health
        status, report = await call(f"{server.url}/api/sessions/{session_id}/report")
        assert status == 200 and report["end_reason"] == "ended", (status, report)
        metrics = await _metrics(server.url)
        assert "lens_store_failing 1.0" in metrics, "the failing store shows in /metrics"
    finally:
        await peer.close()
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
    await until(lambda: _health_if(server.url, "ok"), 15, "/health ok once the disk has room")
    await server.stop()
    restarted: ServerProcess = await server_process(**FAST)
    status, record = await call(f"{restarted.url}/api/sessions/{session_id}")
    assert status == 200 and record["end_reason"] == "ended", record
    status, report = await call(f"{restarted.url}/api/sessions/{session_id}/report")
    assert status == 200 and report["quality"]["frames_analysed"] > 5, (status, report)


async def _health_if(url: str, status: str) -> dict[str, Any] | None:
    _, health = await call(f"{url}/health")
    return health if health.get("status") == status else None


async def _metrics(url: str) -> str:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
        return await response.text()


PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


def root_without_override() -> None:
    """Root that respects file modes: the capabilities to override them out of the bounding
    set, so the server that is exec'd never gets them back."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def read_only(data: Path) -> None:
    for path in (data, *data.iterdir()):
        path.chmod(0o555 if path.is_dir() else 0o444)


async def test_a_data_directory_that_cannot_be_written_refuses_to_start(
    server_process: Callable[..., Any],
) -> None:
    """An existing database in a directory the server may only read: it exits 1 and says
    why, instead of serving and keeping nothing."""
    data = Path(tempfile.mkdtemp(prefix="lens-readonly-"))
    store = SqliteStore(data / "lens.sqlite3")
    await store.start()
    await store.close()
    await asyncio.to_thread(read_only, data)
    as_root = os.geteuid() == 0  # root writes anything: take that power from the server
    process = ServerProcess(
        data.parent / f"{data.name}-run",
        port=None,
        env={"LENS_DATA_DIR": str(data), "LENS_TRANSCRIPT": "false"},
        preexec=root_without_override if as_root else None,
    )
    with pytest.raises(AssertionError, match="did not start"):
        await process.start(timeout=30)
    assert await process.wait(5) == 1
    log = process.log()
    assert "cannot be written" in log and "LENS_DATA_DIR" in log, log
    assert ReadOnlyDataDir.__name__ not in log.split("cannot start")[0], "one clear line"


async def test_redis_dying_mid_delete_ends_in_erased(redis_server: RedisServer) -> None:
    """The mark lands, then Redis is killed before the erasure: when it is back (its
    append-only file kept everything), no read returns the session, a write buffered from
    before the DELETE does not store it again, and the erasure finishes."""
    store = RedisStore(redis_server.url, prefix="t", record_ttl=3600)
    await store.start()
    record = SessionRecord(
        id="e" * 32, state=SessionState.ACTIVE, created_at=1.0, expires_at=1.0, subject="p-9"
    )
    try:
        await store.put_session(record)
        store.enqueue_report(record.id, {"summary": {}})
        store.enqueue_checkpoint(record.id, {"summary": {}})
        store.append_result(record.id, "audio.window", "{}")
        assert await store.writer.drain()
        await store.tombstone(record.id)
        await redis_server.kill()
        store.enqueue_session(record)  # the live session's last write, still on its way
        with pytest.raises(StoreUnavailable):
            await store.delete_session(record.id)
        await redis_server.start()
        assert await store.get_session(record.id) is None
        assert await store.get_report(record.id) is None
        assert await store.subject_sessions("p-9") == []
        assert record.id not in [r.id for r in (await store.list_sessions(0, 10))[0]]
        assert record.id not in [r.id for r in await store.live_sessions()]
        assert await store.end_lost(record.id, str(record.worker), 2.0) is None
        assert await store.unerased() == [record.id]
        assert await store.writer.drain(timeout=10), "the buffered write went through"
        assert await store.delete_session(record.id)
        assert await store.unerased() == []
        client = store._redis
        left = [k for k in await client.keys(f"t:*{record.id}*") if b"deleted" not in k]
        assert left == [], f"keys left after the erasure: {left}"
        assert 0 < await client.ttl(f"t:deleted:{record.id}") <= 86_400
    finally:
        await store.close()


async def test_a_delete_while_redis_is_down_changes_nothing(
    start_server: StartServer, redis_server: RedisServer, speech: tuple
) -> None:
    """Redis is killed mid-interview: the DELETE answers 503 and the interview goes on; with
    Redis back, the DELETE ends and erases it everywhere, the results stream included."""
    server = await start_server(redis_url=redis_server.url)
    peer = await interview(server.url, speech)
    session_id = str(peer.session_id)
    try:
        await redis_server.kill()
        status, body = await call(f"{server.url}/api/sessions/{session_id}", "DELETE")
        assert (status, body["error"]["code"]) == (503, "service_unavailable"), body
        heard = len(peer.messages)
        await asyncio.sleep(1.0)
        assert not peer.of_type("session.closed") and len(peer.messages) > heard
        await redis_server.start()
        await delete_ends_it(server.url, session_id, peer)
    finally:
        await peer.close()
    store = server.app[STORE]
    assert isinstance(store, RedisStore)
    client = store._redis
    left = [k for k in await client.keys(f"lens:*{session_id}*") if b"deleted" not in k]
    assert left == [], f"keys left after the erasure: {left}"
    for path in (f"/api/sessions/{session_id}", f"/api/sessions/{session_id}/report"):
        status, body = await call(server.url + path)
        assert status == 404, f"{path}: {status} {body}"


async def test_a_worker_stopped_while_redis_is_away_spools_what_it_kept(
    server_process: Callable[..., Any], redis_server: RedisServer, speech: tuple
) -> None:
    """Redis dies, an interview ends (its report kept in memory), and the worker is stopped
    before Redis is back: the record and report go to the spool in the data directory, and
    the next worker to start there stores them."""
    env = {**FAST, "LENS_REDIS_URL": redis_server.url}
    server: ServerProcess = await server_process(**env)
    peer = await interview(server.url, speech)
    session_id = str(peer.session_id)
    try:
        await redis_server.kill()
        peer.send({"type": "end"})
        await peer.wait_for(lambda m: m["type"] == "session.closed", 20, "the end")
    finally:
        await peer.close()
    await server.stop()
    assert "spooled to" in server.log(), server.log()
    spool = server.directory / "data" / "spool"
    files = await asyncio.to_thread(os.listdir, spool)
    assert len(files) == 1 and files[0].endswith(".jsonl"), files
    await redis_server.start()
    restarted: ServerProcess = await server_process(**env)  # the same data directory
    assert restarted.directory == server.directory

    async def stored() -> dict[str, Any] | None:
        status, report = await call(f"{restarted.url}/api/sessions/{session_id}/report")
        return report if status == 200 else None

    report = await until(stored, 15, "the spooled report stored")
    assert report["end_reason"] == "ended", report
    status, record = await call(f"{restarted.url}/api/sessions/{session_id}")
    assert status == 200 and record["state"] == "ended", record
    await until(lambda: _spool_empty(spool), 10, "the spool emptied")


async def _spool_empty(spool: Path) -> bool:
    return not await asyncio.to_thread(os.listdir, spool)


async def test_a_delete_on_a_full_disk_changes_nothing_or_erases(
    server_process: Callable[..., Any], speech: tuple
) -> None:
    """The disk is full (no file may grow) when the DELETE comes: either the mark could not
    be written (503, the interview goes on) or it was (the session is gone for every reader);
    nothing in between. With room again, the DELETE ends in erased, also after a restart."""
    server: ServerProcess = await server_process(**FAST)
    assert server.process is not None
    pid = server.process.pid
    peer = await interview(server.url, speech)
    session_id = str(peer.session_id)
    url = f"{server.url}/api/sessions/{session_id}"
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
    try:
        status, body = await call(url, "DELETE")
        assert status in (503, 202, 204), (status, body)
        if status == 503:
            assert "nothing was changed" in body["error"]["message"], body
            await asyncio.sleep(1.0)
            assert not peer.of_type("session.closed"), "the interview goes on"
        else:
            assert (await call(url))[0] == 404, "gone for every reader"
    finally:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
    try:
        status, _ = await call(url, "DELETE")
        assert status in (204, 404), status
        await peer.wait_for(lambda m: m["type"] == "session.closed", 15, "the end")
    finally:
        await peer.close()
    await until(lambda: _health_if(server.url, "ok"), 15, "/health ok")
    await server.stop()
    restarted: ServerProcess = await server_process(**FAST)
    for path in (f"/api/sessions/{session_id}", f"/api/sessions/{session_id}/report"):
        status, body = await call(restarted.url + path)
        assert status == 404, f"{path} after a restart: {status} {body}"


async def test_a_deleted_session_leaves_nothing_on_disk(
    start_server: StartServer, tmp_path: Path
) -> None:
    """Pins: after a 204 DELETE, the question's text was in the SQLite write-ahead log 9 times
    and the subject's id 18 times, until a checkpoint. Nothing of it is left in any of the
    database's files."""
    server = await start_server()
    question = "Tell me about the zebra-crossing incident of Tuesday?"
    body = {"subject": "subject-4be7d1c9", "interview": {"questions": [question]}}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/api/sessions", json=body) as response:
            created = await response.json()
            assert response.status == 201, created
    traces = (b"zebra-crossing", b"subject-4be7d1c9")

    def on_disk() -> list[bytes]:
        files = sorted((tmp_path / "data").glob("lens.sqlite3*"))
        held = b"".join(f.read_bytes() for f in files)
        return [trace for trace in traces if trace in held]

    async def written() -> bool:
        return len(await asyncio.to_thread(on_disk)) == len(traces)

    await until(written, 10, "the session's record on disk")
    status, _ = await call(f"{server.url}/api/sessions/{created['session_id']}", "DELETE")
    assert status == 204, status
    left = await asyncio.to_thread(on_disk)
    assert not left, f"erased data still in the database's files: {left}"
