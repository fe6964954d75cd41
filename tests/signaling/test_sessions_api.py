"""The session API end to end: create, connect by id, end from the data channel, read the
report as JSON and as a page, page through sessions, delete, and survive a restart."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from aiortc.mediastreams import VideoStreamTrack

from loadtest.peer import AUDIO_SEND_RATE, ClientPeer, SamplesTrack, StillsTrack
from tests.conftest import RunningServer, StartServer
from tests.media import astronaut, place, read_wav, resample, speak
from tests.redis_server import RedisServer

SUMMARY_FIELDS = {
    "eye_contact_ratio",
    "head_stability",
    "blinks_per_min",
    "expression",
    "talk_ratio",
    "pauses",
    "pitch",
    "loudness",
    "speaking_rate",
    "arousal",
}


async def api(server: RunningServer, method: str, path: str, **kwargs: Any) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, server.url + path, **kwargs) as response,
    ):
        body = await response.json() if response.content_type == "application/json" else {}
        return response.status, body


async def until_ended(server: RunningServer, session_id: str, timeout: float = 5.0) -> dict:
    """The record once the session has finished closing (it reads ``ending`` until then, or
    still ``active`` for a moment: the store's writes are buffered, and on a busy machine the
    ``session.closed`` message can reach the client first)."""

    async def poll() -> dict:
        while True:
            status, record = await api(server, "GET", f"/api/sessions/{session_id}")
            assert status == 200 and record["state"] in ("active", "ending", "ended"), record
            if record["state"] == "ended":
                return record
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(poll(), timeout)


async def connect(server: RunningServer, session_id: str | None, media: tuple) -> ClientPeer:
    samples, rate = media
    peer = ClientPeer(
        server.url,
        [StillsTrack([place(astronaut())]), SamplesTrack(resample(samples, rate, AUDIO_SEND_RATE))],
        session_id=session_id,
    )
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    return peer


async def run_and_end(
    server: RunningServer, session_id: str | None, speech: tuple
) -> tuple[dict, list[dict]]:
    """Connect, let analysis run ~3 s, send ``end``; the session.report message, and every
    message the peer received."""
    peer = await connect(server, session_id, speech)
    try:
        await peer.wait_for(lambda m: m["type"] == "video.frame" and m["t"] >= 3.0, what="3 s")
        peer.send({"type": "end"})
        report = await peer.wait_for(lambda m: m["type"] == "session.report", what="the report")
        closed = await peer.wait_for(lambda m: m["type"] == "session.closed", what="closed")
        assert closed["reason"] == "ended"
        return report, list(peer.messages)
    finally:
        await peer.close()


async def test_create_connect_end_and_read_the_report(
    server: RunningServer, speech: tuple[np.ndarray, int]
) -> None:
    status, created = await api(server, "POST", "/api/sessions")
    assert status == 201 and created["expires_at"] > 0 and created["ice_servers"] == []
    session_id = created["session_id"]
    status, record = await api(server, "GET", f"/api/sessions/{session_id}")
    assert (status, record["state"]) == (200, "created")

    message, received = await run_and_end(server, session_id, speech)
    assert message["session_id"] == session_id
    assert SUMMARY_FIELDS <= set(message["summary"])
    assert message["summary"]["eye_contact_ratio"] == 1.0
    assert message["summary"]["expression"]["dominant"] == "happy"
    assert message["quality"]["frames_analysed"] >= 10
    assert message["report_url"] == f"/api/sessions/{session_id}/report"

    status, report = await api(server, "GET", message["report_url"])
    assert status == 200 and report["session_id"] == session_id
    assert report["summary"] == message["summary"], "the kept report is the one sent"
    assert report["end_reason"] == "ended" and report["source"] == "live"
    # The report against what the peer itself received, live, over the session.
    frames = [m for m in received if m["type"] == "video.frame"]
    windows = [m for m in received if m["type"] == "audio.window"]
    quality = report["quality"]
    assert quality["messages_dropped"] == 0
    assert quality["frames_analysed"] == len(frames), (
        f"the report counts {quality['frames_analysed']} analysed frames; the peer received "
        f"{len(frames)} video.frame messages"
    )
    assert frames[-1]["t"] <= report["duration"] <= frames[-1]["t"] + 1.0, (
        f"duration {report['duration']} s; the last frame received was at {frames[-1]['t']} s"
    )
    assert quality["audio_seconds"] == pytest.approx(0.2 * len(windows), abs=0.4)
    spoken = sum(m["speech"] for m in windows) / len(windows)
    assert report["summary"]["talk_ratio"] == pytest.approx(spoken, abs=0.15), (
        f"talk ratio {report['summary']['talk_ratio']}; {spoken:.2f} of the windows received "
        "were speech"
    )
    timeline = report["timeline"]
    assert len(timeline["t"]) >= 3
    for series in ("face_visible", "eye_contact", "yaw", "talk", "rms_dbfs", "pitch_hz"):
        assert len(timeline[series]) == len(timeline["t"])
    assert set(timeline["face_visible"]) == {1.0}, "the astronaut is in every frame"
    assert quality["face_visible_ratio"] == 1.0

    record = await until_ended(server, session_id)
    assert record["end_reason"] == "ended"
    assert record["counters"]["frames_analysed"] >= 10 and record["worker"] is None

    async with aiohttp.ClientSession() as http:
        asks: list[dict[str, Any]] = [
            {"params": {"format": "html"}},
            {"headers": {"Accept": "text/html"}},
        ]
        for kwargs in asks:
            async with http.get(server.url + message["report_url"], **kwargs) as response:
                page = await response.text()
                assert response.status == 200 and response.content_type == "text/html"
                assert "Your session" in page and page.count("<svg") >= 5
                assert "happy" in page


async def test_a_live_session_shows_its_counters_and_has_no_report_yet(
    server: RunningServer, speech: tuple[np.ndarray, int]
) -> None:
    peer = await connect(server, None, speech)
    try:
        await peer.wait_for(lambda m: m["type"] == "video.frame" and m["t"] >= 1.0)
        status, record = await api(server, "GET", f"/api/sessions/{peer.session_id}")
        assert record["state"] == "active" and record["counters"]["frames_analysed"] > 0
        assert record["worker"] is not None
        status, body = await api(server, "GET", f"/api/sessions/{peer.session_id}/report")
        assert (status, body["error"]["code"]) == (409, "session_in_progress")
    finally:
        await peer.close()


async def test_offers_naming_a_session(start_server: StartServer, speech: tuple) -> None:
    server = await start_server(session_ttl=0.5)
    missing = "0" * 32
    peer = ClientPeer(server.url, [StillsTrack([place(astronaut())])], session_id=missing)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(RuntimeError, match=r"404.*not_found"):
            await peer.connect(http)
        await peer.close()
        _, created = await api(server, "POST", "/api/sessions")
        await asyncio.sleep(0.6)
        late = ClientPeer(
            server.url, [StillsTrack([place(astronaut())])], session_id=created["session_id"]
        )
        with pytest.raises(RuntimeError, match=r"410.*session_expired"):
            await late.connect(http)
        await late.close()
    assert len(server.registry) == 0


async def test_a_session_is_used_once(server: RunningServer, speech: tuple) -> None:
    _, created = await api(server, "POST", "/api/sessions")
    first = await connect(server, created["session_id"], speech)
    try:
        second = ClientPeer(
            server.url, [StillsTrack([place(astronaut())])], session_id=created["session_id"]
        )
        async with aiohttp.ClientSession() as http:
            with pytest.raises(RuntimeError, match=r"409.*session_conflict"):
                await second.connect(http)
        await second.close()
    finally:
        await first.close()


async def test_paging_newest_first(server: RunningServer) -> None:
    ids = [(await api(server, "POST", "/api/sessions"))[1]["session_id"] for _ in range(5)]
    seen = []
    for offset in (0, 2, 4):
        status, page = await api(server, "GET", f"/api/sessions?offset={offset}&limit=2")
        assert status == 200 and page["total"] == 5 and page["limit"] == 2
        seen += [s["id"] for s in page["sessions"]]
    assert seen == ids[::-1]
    for query in ("limit=0", "limit=101", "offset=-1", "limit=x"):
        status, body = await api(server, "GET", f"/api/sessions?{query}")
        assert (status, body["error"]["code"]) == (400, "invalid_request")


async def test_delete_ends_a_live_session_and_erases_it(
    server: RunningServer, speech: tuple[np.ndarray, int]
) -> None:
    peer = await connect(server, None, speech)
    try:
        await peer.wait_for(lambda m: m["type"] == "video.frame")
        status, _ = await api(server, "DELETE", f"/api/sessions/{peer.session_id}")
        assert status == 204
        await peer.wait_for(lambda m: m["type"] == "session.closed" and m["reason"] == "deleted")
        assert not any(m["type"] == "session.report" for m in peer.messages), "erased, not sent"
        assert len(server.registry) == 0
        for path in (f"/api/sessions/{peer.session_id}", f"/api/sessions/{peer.session_id}/report"):
            status, body = await api(server, "GET", path)
            assert (status, body["error"]["code"]) == (404, "not_found")
        status, body = await api(server, "DELETE", f"/api/sessions/{peer.session_id}")
        assert status == 404
    finally:
        await peer.close()


@pytest.mark.parametrize("store", ["sqlite", "redis"])
async def test_delete_through_another_worker_stops_the_session_where_it_runs(
    start_server: StartServer, redis_server: RedisServer, store: str
) -> None:
    """Two workers sharing one store (the SQLite file, or a real redis-server). The session
    runs on the first; the second shows its counters as they grow, and deleting it through the
    second closes it on the first within a sync, after which nothing about it is left or written
    again."""
    shared: dict[str, object] = {"session_sync_interval": 0.2}
    if store == "redis":
        shared["redis_url"] = redis_server.url
    owner = await start_server(**shared)
    other = await start_server(**shared)
    status, created = await api(owner, "POST", "/api/sessions")
    assert status == 201
    session_id = created["session_id"]
    peer = ClientPeer(owner.url, [StillsTrack([place(astronaut())])], session_id=session_id)
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    try:
        await peer.wait_for(lambda m: len(peer.of_type("video.frame")) >= 3)
        seen: dict = {}
        for _ in range(40):
            seen = (await api(other, "GET", f"/api/sessions/{session_id}"))[1]
            if seen["counters"]["frames_analysed"] >= 3:
                break
            await asyncio.sleep(0.1)
        assert seen["state"] == "active" and seen["counters"]["frames_analysed"] >= 3, seen
        status, _ = await api(other, "DELETE", f"/api/sessions/{session_id}")
        assert status == 204
        closed = await peer.wait_for(lambda m: m["type"] == "session.closed", timeout=5.0)
        assert closed["reason"] == "deleted"
        for _ in range(100):
            if owner.registry.get(session_id) is None:
                break
            await asyncio.sleep(0.05)
        assert owner.registry.get(session_id) is None, "the owner let the session go"
        assert not any(m["type"] == "session.report" for m in peer.messages)
        await asyncio.sleep(0.5)  # a few more polls: nothing comes back
        for server in (owner, other):
            for path in (f"/api/sessions/{session_id}", f"/api/sessions/{session_id}/report"):
                status, body = await api(server, "GET", path)
                assert (status, body["error"]["code"]) == (404, "not_found"), (server.url, path)
            _, page = await api(server, "GET", "/api/sessions")
            assert session_id not in [s["id"] for s in page["sessions"]]
    finally:
        await peer.close()


async def test_bad_session_ids(server: RunningServer) -> None:
    for path in ("/api/sessions/nope", "/api/sessions/" + "g" * 32 + "/report"):
        status, body = await api(server, "GET", path)
        assert (status, body["error"]["code"]) == (404, "not_found")


async def test_report_survives_a_restart(
    start_server: StartServer, tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    data_dir = tmp_path / "kept"
    first = await start_server(data_dir=data_dir)
    message, _ = await run_and_end(first, None, speech)
    await first.runner.cleanup()  # stops the server, flushing the store
    second = await start_server(data_dir=data_dir)
    status, report = await api(second, "GET", message["report_url"])
    assert status == 200 and report["summary"] == message["summary"]
    status, record = await api(second, "GET", f"/api/sessions/{message['session_id']}")
    assert record["state"] == "ended"


@pytest.fixture(scope="module")
def speech(media_dir: Path) -> tuple[np.ndarray, int]:
    return read_wav(speak("Thank you for having me here today", media_dir / "short.wav"))


class _Mute(VideoStreamTrack):
    """A camera that never delivers a frame."""

    async def recv(self) -> Any:
        await asyncio.sleep(3600)


async def test_a_session_whose_media_never_came_has_no_report(server: RunningServer) -> None:
    """Pins: a session that negotiated a track but never received a frame stored an empty
    report, where the docs promise 404 (no media was analysed)."""
    peer = ClientPeer(server.url, [_Mute()])
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    try:
        peer.send({"type": "end"})
        closed = await peer.wait_for(lambda m: m["type"] == "session.closed", 20, "the end")
        assert not peer.of_type("session.report"), "no report message either"
        assert closed["reason"] == "ended"
    finally:
        await peer.close()
    await until_ended(server, str(peer.session_id))
    status, body = await api(server, "GET", f"/api/sessions/{peer.session_id}/report")
    assert (status, body["error"]["code"]) == (404, "not_found"), body


async def test_a_store_that_cannot_write_is_a_503_and_delete_is_all_or_nothing(
    start_server: StartServer, tmp_path: Path, speech: tuple[np.ndarray, int]
) -> None:
    """Pins: with the database unwritable, POST /api/sessions and DELETE answered 500 with a
    traceback, and the failed DELETE had already dropped the worker's copy of the report. Here
    another connection holds SQLite's exclusive lock: the API must answer 503, erase nothing,
    and a DELETE retried afterwards must finish the job."""
    data_dir = tmp_path / "store"
    server = await start_server(data_dir=data_dir)
    message, _ = await run_and_end(server, None, speech)
    session_id = message["session_id"]
    await until_ended(server, session_id)
    blocker = sqlite3.connect(data_dir / "lens.sqlite3", timeout=1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        status, body = await api(server, "POST", "/api/sessions")
        assert (status, body["error"]["code"]) == (503, "service_unavailable"), body
        status, body = await api(server, "DELETE", f"/api/sessions/{session_id}")
        assert (status, body["error"]["code"]) == (503, "service_unavailable"), body
    finally:
        blocker.rollback()
        blocker.close()
    status, report = await api(server, "GET", message["report_url"])
    assert status == 200 and report["session_id"] == session_id, "nothing was erased"
    status, _ = await api(server, "DELETE", f"/api/sessions/{session_id}")
    assert status == 204, "the retry finishes the job"
    status, body = await api(server, "GET", message["report_url"])
    assert status == 404, body


@pytest.mark.parametrize("path", ["/api/sessions", "/api/offer"])
async def test_deeply_nested_json_is_a_bad_body(server: RunningServer, path: str) -> None:
    """Pins: 2 KB of nested ``[[[…]]]`` to ``POST /api/sessions`` answered 500 with a traceback
    (RecursionError)."""
    body = b"[" * 20_000 + b"]" * 20_000
    status, answer = await api(server, "POST", path, data=body)
    assert status == 400 and answer["error"]["code"] in ("invalid_request", "invalid_json"), (
        status,
        answer,
    )


async def test_a_page_that_cannot_be_shown_is_a_page_that_says_why(server: RunningServer) -> None:
    """Pins: ``?format=html`` for an unknown session answered raw JSON in the browser. A person
    gets a page with the same words (escaped), an API client still gets JSON."""
    path = "/api/sessions/" + "f" * 32 + "/report"
    async with aiohttp.ClientSession() as http:
        asks: list[dict[str, Any]] = [
            {"params": {"format": "html"}},
            {"headers": {"Accept": "text/html"}},
        ]
        for kwargs in asks:
            async with http.get(server.url + path, **kwargs) as response:
                page = await response.text()
                assert (response.status, response.content_type) == (404, "text/html"), page
                assert "<h1>Not found</h1>" in page and "no session " + "f" * 32 in page, page
        async with http.get(server.url + "/api/sessions/<b>x/report?format=html") as response:
            page = await response.text()
            assert response.status == 404 and "<b>" not in page and "&lt;b&gt;" in page, page
        async with http.get(server.url + path) as response:
            assert response.content_type == "application/json"
            assert (await response.json())["error"]["code"] == "not_found"
