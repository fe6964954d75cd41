"""Recording for review: opt-in per session, what the browser sent written into WebM without
re-encoding, served with ranges and auth, erased with the session and by age, a disk that
fails stopping the recording and not the session."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import av
import numpy as np
import pytest

from loadtest.peer import AUDIO_SEND_RATE, ClientPeer, SamplesTrack, StillsTrack
from signaling.http.app_keys import SERVICE
from tests.conftest import RunningServer, StartServer
from tests.media import astronaut, phrase, place, resample
from tests.processes import ServerProcess, server_process  # noqa: F401 (a fixture)
from tests.signaling.test_auth import KEY, SECRET, call
from tests.webrtc.test_offline import run_cli
from webrtc.peer.recorder import Recorder, vp8_key_frame_size


@pytest.fixture
async def recording_server(start_server: StartServer) -> RunningServer:
    return await start_server(secret=SECRET, api_key=KEY, recording="allowed")


@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    folder = tmp_path_factory.mktemp("voice")
    said = phrase("Thank you for having me here today", folder / "v.wav")
    gap = np.zeros(8000, np.float32)
    return resample(np.concatenate([said, gap] * 3), 16_000, AUDIO_SEND_RATE)


async def recorded_session(
    server: RunningServer, voice: np.ndarray, seconds: float = 5.0, record: bool = True
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """A session with the astronaut and speech for ``seconds``, ended: what POST answered,
    the report and the messages the peer received."""
    status, created, _ = await call(server, "POST", "/api/sessions", KEY, json={"record": record})
    assert status == 201 and created["record"] is record, created
    peer = ClientPeer(
        server.url,
        [StillsTrack([place(astronaut())]), SamplesTrack(voice)],
        session_id=created["session_id"],
        token=created["token"],
    )
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    try:
        await peer.wait_for(lambda m: m["type"] == "video.frame" and m["t"] >= seconds, 30)
        peer.send({"type": "end"})
        await peer.wait_for(lambda m: m["type"] == "session.closed", 30, "the end")
    finally:
        await peer.close()
    status, report, _ = await call(
        server, "GET", f"/api/sessions/{created['session_id']}/report", KEY
    )
    assert status == 200, report
    return created, report, list(peer.messages)


AGREEMENT = {
    "face_visible_ratio": 0.05,
    "eye_contact_ratio": 0.05,
    "head_stability": 0.1,
    "talk_ratio": 0.1,
    "pitch.mean_hz": 10.0,
    "loudness.mean_dbfs": 2.0,
}
"""How far the offline analysis of a recording may stray from the live session's summary:
the live path samples the newest frame when analysis is free, the offline one a fixed grid,
and the two see audio batched differently; the media is the same (docs/protocol.md)."""


def figure(summary: dict[str, Any], name: str) -> float | None:
    value: Any = summary
    for key in name.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return None if value is None else float(value)


async def fetch(server: RunningServer, path: str, **headers: str) -> tuple[int, bytes, Any]:
    async with aiohttp.ClientSession() as http, http.get(server.url + path, headers=headers) as r:
        return r.status, await r.read(), r.headers


def decode_all(path: Path) -> tuple[int, int, float]:
    """Video frames and audio frames PyAV decodes from the file, and its duration (s)."""
    with av.open(str(path)) as container:
        video = sum(1 for _ in container.decode(video=0))
    with av.open(str(path)) as container:
        audio = sum(1 for _ in container.decode(audio=0))
        duration = float(container.duration or 0) / av.time_base
    return video, audio, duration


async def test_a_recorded_session_is_served_with_ranges_and_erased(
    recording_server: RunningServer, voice: np.ndarray, tmp_path: Path
) -> None:
    server = recording_server
    created, report, _ = await recorded_session(server, voice)
    sid, token = created["session_id"], created["token"]
    recording = report["recording"]
    assert recording["state"] == "complete" and recording["error"] is None, recording
    assert recording["video_frames"] > 50 and recording["audio_frames"] > 200, recording

    url = f"/api/sessions/{sid}/recording"
    status, body, headers = await fetch(server, f"{url}?token={token}")
    assert status == 200 and headers["Content-Type"] == "video/webm", headers
    assert len(body) == recording["bytes"] and headers["Accept-Ranges"] == "bytes"
    saved = tmp_path / "r.webm"
    saved.write_bytes(body)
    video, audio, duration = decode_all(saved)
    assert video == recording["video_frames"] and audio == recording["audio_frames"]
    assert duration == pytest.approx(report["duration"], rel=0.1), (duration, report["duration"])

    # The same analysis twice: the recording analysed offline agrees with the live session.
    out = tmp_path / "offline.json"
    status, stderr = await run_cli("analyze", str(saved), "--out", str(out))
    assert status == 0, stderr
    live, offline = report["summary"], json.loads(out.read_text())["summary"]
    for name, tolerance in AGREEMENT.items():
        a, b = figure(live, name), figure(offline, name)
        assert a is not None and b is not None and abs(a - b) <= tolerance, (name, a, b)
    assert live["expression"]["dominant"] == offline["expression"]["dominant"]

    status, part, headers = await fetch(
        server, url, Authorization=f"Bearer {KEY}", Range="bytes=100-1099"
    )
    assert status == 206 and part == body[100:1100], headers
    assert headers["Content-Range"] == f"bytes 100-1099/{len(body)}"
    assert (await fetch(server, url))[0] == 401
    other, _, _ = await recorded_session(server, voice, seconds=2.0, record=False)
    status, _, _ = await fetch(server, f"{url}?token={other['token']}")
    assert status == 403, "another session's token"
    unrecorded = f"/api/sessions/{other['session_id']}/recording?token={other['token']}"
    assert (await fetch(server, unrecorded))[0] == 404

    path = server.app[SERVICE].recordings.path(sid)
    assert path.is_file()
    assert (await call(server, "DELETE", f"/api/sessions/{sid}", KEY))[0] == 204
    assert not path.exists(), "DELETE erases the recording"


async def test_old_recordings_are_swept(recording_server: RunningServer, voice: np.ndarray) -> None:
    created, _, _ = await recorded_session(recording_server, voice, seconds=2.0)
    recordings = recording_server.app[SERVICE].recordings
    path = recordings.path(created["session_id"])
    assert recordings.sweep(force=True) == 0 and path.exists(), "a new recording stays"
    old = time.time() - recordings.retention - 60
    os.utime(path, (old, old))
    assert recordings.sweep(force=True) == 1 and not path.exists()


async def test_recording_is_opt_in_and_needs_the_server_to_allow_it(
    start_server: StartServer,
) -> None:
    server = await start_server(secret=SECRET, api_key=KEY)  # LENS_RECORDING=off
    status, body, _ = await call(server, "POST", "/api/sessions", KEY, json={"record": True})
    assert status == 400 and "LENS_RECORDING" in body["error"]["message"], body
    status, body, _ = await call(server, "POST", "/api/sessions", KEY, json={"record": "yes"})
    assert status == 400, body
    status, body, _ = await call(server, "POST", "/api/sessions", KEY, json={})
    assert status == 201 and body["record"] is False


async def test_a_disk_that_fails_stops_the_recording_not_the_session(
    start_server: StartServer, voice: np.ndarray, tmp_path: Path
) -> None:
    """The recordings folder is a file (as good as a disk that refuses every write): an
    ``error`` on the channel, the session's analysis and report as usual, the report saying
    the recording failed."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "recordings").write_text("not a folder")
    server = await start_server(secret=SECRET, api_key=KEY, recording="allowed", data_dir=data)
    _, report, messages = await recorded_session(server, voice, seconds=3.0)
    errors = [m for m in messages if m["type"] == "error"]
    assert [e["code"] for e in errors] == ["recording_failed"], errors
    assert report["recording"]["state"] == "failed" and report["recording"]["error"], report
    assert report["summary"]["face_visible_ratio"] == 1.0, "the analysis went on"


def test_vp8_key_frames_carry_their_size() -> None:
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 320, 240, "yuv420p"
    frame = av.VideoFrame.from_ndarray(np.zeros((240, 320, 3), np.uint8), format="rgb24")
    packets: list[bytes] = []
    for i in range(3):
        image = frame.reformat(format="yuv420p")
        image.pts = i
        packets += [bytes(p) for p in encoder.encode(image)]
    packets += [bytes(p) for p in encoder.encode(None)]
    assert vp8_key_frame_size(packets[0]) == (320, 240)
    assert all(vp8_key_frame_size(p) is None for p in packets[1:])


async def recorded_peer(
    server: ServerProcess, voice: np.ndarray
) -> tuple[dict[str, Any], ClientPeer]:
    """A recorded session on ``server.py`` (auth off), its peer connected and sending."""
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/api/sessions", json={"record": True}) as response:
            created = await response.json()
        peer = ClientPeer(
            server.url,
            [StillsTrack([place(astronaut())]), SamplesTrack(voice)],
            session_id=created["session_id"],
        )
        await peer.connect(http)
    return created, peer


async def test_a_worker_killed_mid_session_leaves_a_playable_recording(
    server_process: Callable[..., Any],  # noqa: F811 (the fixture imported above)
    voice: np.ndarray,
) -> None:
    """SIGKILL while the browser is still sending: the file holds every second up to the
    kill (its clusters close each second) and PyAV decodes it to the end."""
    server: ServerProcess = await server_process(LENS_RECORDING="allowed")
    created, peer = await recorded_peer(server, voice)
    try:
        await peer.wait_for(lambda m: m["type"] == "video.frame" and m["t"] >= 5.0, 30)
        server.send(signal.SIGKILL)
        await server.wait(10)
    finally:
        await peer.close()
    path = server.directory / "data" / "recordings" / f"{created['session_id']}.webm"
    video, audio, _ = decode_all(path)
    assert video >= 3 * 15 and audio >= 3 * 50, (video, audio, path.stat().st_size)


def _small_disk() -> None:
    """In the server's process: no file may grow past 400 kB (as a disk that fills up), and
    the kernel's signal for it is ignored, so the write fails with EFBIG instead."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (400_000, 400_000))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


async def test_a_disk_filling_up_mid_session_stops_the_recording_and_keeps_what_was_written(
    server_process: Callable[..., Any],  # noqa: F811 (the fixture imported above)
    voice: np.ndarray,
) -> None:
    server: ServerProcess = await server_process(LENS_RECORDING="allowed", preexec=_small_disk)
    created, peer = await recorded_peer(server, voice)
    try:
        error = await peer.wait_for(
            lambda m: m["type"] == "error" and m["code"] == "recording_failed", 40
        )
        assert "could not be written" in error["message"], error
        frames = len(peer.of_type("video.frame"))
        await peer.wait_for(lambda m: len(peer.of_type("video.frame")) > frames + 10, 10)
        peer.send({"type": "end"})
        await peer.wait_for(lambda m: m["type"] == "session.closed", 30, "the end")
    finally:
        await peer.close()
    url = f"{server.url}/api/sessions/{created['session_id']}/report"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        report = await response.json()
    assert report["recording"]["state"] == "failed", report["recording"]
    assert "recording stopped" in server.log()
    path = server.directory / "data" / "recordings" / f"{created['session_id']}.webm"
    video, audio, _ = decode_all(path)
    assert video >= 15 and audio >= 50, (video, audio, path.stat().st_size)


async def test_a_track_webm_cannot_hold_is_left_out_and_said(tmp_path: Path) -> None:
    """H.264 video (Safari's choice) beside Opus: the recording holds the audio, and says the
    video was left out, rather than re-encoding it."""
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = 48_000, "mono", "s16"
    packets: list[tuple[bytes, int]] = []
    for i in range(50):
        tone = (np.sin(np.arange(960) / 8) * 6000).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48_000, i * 960
        packets += [(bytes(p), 960 * len(packets)) for p in encoder.encode(frame)]
    recorder = Recorder(tmp_path / "r.webm", asyncio.get_running_loop())
    recorder.expect("video")
    recorder.expect("audio")
    for n, (data, pts) in enumerate(packets):
        recorder.video(b"\x00\x00\x00\x01h264", n * 3000, "H264")
        recorder.audio(data, pts, "opus")
    recorder.close()
    assert await asyncio.to_thread(recorder.join, 10)
    state = recorder.to_dict()
    assert state["state"] == "complete" and state["left_out"] == {"video": "H264"}, state
    with av.open(str(tmp_path / "r.webm")) as container:
        assert [s.type for s in container.streams] == ["audio"]
        assert sum(1 for _ in container.decode(audio=0)) == len(packets)
