"""End to end: a real aiortc client peer sends real media through POST /api/offer and the
results arrive on the ``analysis`` data channel."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest

from analyzers import AUDIO_RATE
from loadtest.peer import AUDIO_SEND_RATE, ClientPeer, SamplesTrack, StillsTrack
from tests.conftest import RunningServer, StartServer
from tests.media import astronaut, blank, phrase, place, resample


async def connect(server: RunningServer, video: list[np.ndarray], audio: np.ndarray) -> ClientPeer:
    peer = ClientPeer(server.url, [StillsTrack(video), SamplesTrack(audio)])
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    return peer


def is_error(message: dict[str, Any], code: str) -> bool:
    return bool(message["type"] == "error" and message["code"] == code)


async def test_face_and_speech_are_seen(
    server: RunningServer, speech: tuple[np.ndarray, int]
) -> None:
    samples, rate = speech
    peer = await connect(server, [place(astronaut())], resample(samples, rate, AUDIO_SEND_RATE))
    try:
        ready = await peer.wait_for(lambda m: m["type"] == "session.ready", what="'session.ready'")
        assert ready["session_id"] == peer.session_id and ready["v"] == 1
        frame = await peer.wait_for(
            lambda m: m["type"] == "video.frame" and m["face"], what="'video.frame' and 'face'"
        )
        window = await peer.wait_for(
            lambda m: m["type"] == "audio.window" and m["speech"],
            what="'audio.window' and 'speech'",
        )
        assert frame["faces"] == 1 and (frame["width"], frame["height"]) == (640, 480)
        assert frame["received_at"] <= frame["sent_at"]
        assert window["rms_dbfs"] > -40 and window["duration"] == 0.2
        for message in peer.messages:
            assert message["v"] == 1 and message["session_id"] == peer.session_id
        # Sampled at 5 fps of media time: at most one analysis per 0.2 s slot (a frame late for
        # its slot keeps the grid, so two can be 0.2 s less one 30 fps frame apart).
        await peer.wait_for(
            lambda m: m["type"] == "video.frame" and m["t"] >= 1.5,
            what="'video.frame' and 't' >= 1.5",
        )
        times = [m["t"] for m in peer.of_type("video.frame")]
        assert times[0] < 0.1 and np.all(np.diff(times) >= 0.2 - 1 / 30 - 0.01)
        assert len([t for t in times if t < 1.5]) <= 1.5 * 5 + 1
        assert peer.of_type("video.frame")[-1]["frames_skipped"] > 0
        audio_times = [m["t"] for m in peer.of_type("audio.window")]
        np.testing.assert_allclose(np.diff(audio_times), 0.2, atol=1e-3)
    finally:
        await peer.close()


async def test_no_face_and_silence_are_seen_as_such(server: RunningServer) -> None:
    peer = await connect(server, [blank()], np.zeros(AUDIO_SEND_RATE, np.float32))
    try:
        await peer.wait_for(
            lambda m: m["type"] == "video.frame" and m["t"] >= 1.0,
            what="'video.frame' and 't' >= 1.0",
        )
        await peer.wait_for(
            lambda m: m["type"] == "audio.window" and m["t"] >= 1.0,
            what="'audio.window' and 't' >= 1.0",
        )
        frames, windows = peer.of_type("video.frame"), peer.of_type("audio.window")
        assert frames and not any(m["face"] for m in frames)
        assert all(m["faces"] == 0 for m in frames)
        assert windows and not any(m["speech"] for m in windows)
    finally:
        await peer.close()


async def test_face_leaving_the_picture_is_reported(server: RunningServer) -> None:
    video = StillsTrack([place(astronaut())])
    peer = ClientPeer(server.url, [video])
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    try:
        await peer.wait_for(
            lambda m: m["type"] == "video.frame" and m["face"], what="'video.frame' and 'face'"
        )
        video.frames = [blank()]
        gone = await peer.wait_for(
            lambda m: m["type"] == "video.frame" and not m["face"],
            what="'video.frame' and not 'face'",
        )
        video.frames = [place(astronaut())]
        await peer.wait_for(
            lambda m: m["type"] == "video.frame" and m["face"] and m["t"] > gone["t"]
        )
    finally:
        await peer.close()


async def test_ping_pong_and_garbage_on_the_channel(server: RunningServer) -> None:
    peer = await connect(server, [blank()], np.zeros(AUDIO_SEND_RATE, np.float32))
    try:
        peer.channel.send(json.dumps({"type": "ping", "id": "abc-123"}))
        pong = await peer.wait_for(
            lambda m: m["type"] == "pong" and m["id"] == "abc-123",
            what="'pong' and 'id' == 'abc-123'",
        )
        assert pong["session_id"] == peer.session_id
        garbage: list[tuple[str | bytes, str]] = [
            ("{{{", "invalid_json"),
            (b"\x00\xff", "binary_not_supported"),
            ('{"type": "self-destruct"}', "unknown_type"),
            ("[]", "invalid_message"),
        ]
        for sent, code in garbage:
            peer.channel.send(sent)
            error = await peer.wait_for(
                functools.partial(is_error, code=code), what=f"an error {code!r}"
            )
            assert error["message"]
        # The session survives: results keep coming after the garbage.
        last = peer.of_type("video.frame")[-1]["t"] if peer.of_type("video.frame") else -1
        await peer.wait_for(
            lambda m: m["type"] == "video.frame" and m["t"] > last + 0.5,
            what="'video.frame' and 't' > last + 0.5",
        )
        assert len(server.registry) == 1
    finally:
        await peer.close()


async def test_sessions_are_independent(
    server: RunningServer, speech: tuple[np.ndarray, int]
) -> None:
    samples, rate = speech
    with_face = await connect(
        server, [place(astronaut())], resample(samples, rate, AUDIO_SEND_RATE)
    )
    without = await connect(server, [blank()], np.zeros(AUDIO_SEND_RATE, np.float32))
    try:
        assert with_face.session_id != without.session_id
        await with_face.wait_for(lambda m: m["type"] == "video.frame" and m["t"] >= 1.0)
        await without.wait_for(lambda m: m["type"] == "video.frame" and m["t"] >= 1.0)
        without.channel.send("garbage")
        await without.wait_for(lambda m: m["type"] == "error")
        assert all(m["face"] for m in with_face.of_type("video.frame"))
        assert not any(m["face"] for m in without.of_type("video.frame"))
        assert not with_face.of_type("error")
    finally:
        await with_face.close()
        await without.close()


async def test_frames_carry_pose_gaze_expression_and_summaries_arrive(
    start_server: StartServer,
) -> None:
    server = await start_server(summary_interval=0.5)
    peer = await connect(server, [place(astronaut())], np.zeros(AUDIO_SEND_RATE, np.float32))
    try:
        frame = await peer.wait_for(
            lambda m: m["type"] == "video.frame" and m["face"], what="'video.frame' and 'face'"
        )
        assert set(frame["head_pose"]) == {"yaw", "pitch", "roll", "camera_pitch"}
        assert abs(frame["head_pose"]["roll"]) < 8
        assert frame["eye_contact"] is True
        assert frame["expression"]["label"] == "happy"
        assert set(frame["expression"]["scores"]) == {
            "angry",
            "disgust",
            "fear",
            "happy",
            "sad",
            "surprise",
            "neutral",
        }
        assert frame["eyes"]["ear_left"] > 0.2
        summary = await peer.wait_for(
            lambda m: m["type"] == "summary" and m["head_stability"] is not None
        )
        assert summary["eye_contact_ratio"] == 1.0 and summary["face_visible_ratio"] == 1.0
        assert summary["expression"]["dominant"] == "happy"
        assert summary["head_stability"] > 0.8
        assert all(len(json.dumps(m)) < 1100 for m in peer.messages), "fits one small-MTU packet"
    finally:
        await peer.close()


async def test_speech_events_and_audio_summary_arrive(
    start_server: StartServer, media_dir: Path
) -> None:
    """Two phrases with a second of silence around each: start, stop, start, stop, dated on the
    media clock. (How soon they arrive is measured by ``bench.events``.)"""
    server = await start_server(summary_interval=0.5)
    speech = phrase("Thank you for having me here today", media_dir / "phrase.wav")
    gap = np.zeros(AUDIO_RATE, np.float32)
    clip = resample(np.concatenate([gap, speech, gap, speech, gap]), AUDIO_RATE, AUDIO_SEND_RATE)
    peer = ClientPeer(server.url, [SamplesTrack(clip)])
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    try:
        await peer.wait_for(
            lambda m: m["type"] == "speech.stopped" and m["t"] > 3.0,
            timeout=20,
            what="'speech.stopped' and 't' > 3.0",
        )
        events = [m for m in peer.messages if m["type"] in ("speech.started", "speech.stopped")]
        assert [m["type"] for m in events[:4]] == ["speech.started", "speech.stopped"] * 2
        length = speech.size / AUDIO_RATE
        assert events[0]["t"] == pytest.approx(1.0, abs=0.15)
        assert events[1]["duration"] == pytest.approx(length, abs=0.2)
        assert events[2]["t"] == pytest.approx(2.0 + length, abs=0.15)
        summary = await peer.wait_for(
            lambda m: m["type"] == "summary" and m["talk_ratio"], what="'summary' and 'talk_ratio'"
        )
        assert summary["pitch"]["mean_hz"] > 60 and summary["loudness"]["mean_dbfs"] < 0
        window = next(m for m in peer.of_type("audio.window") if m["pitch_hz"] is not None)
        assert 60 <= window["pitch_hz"] <= 500 and window["spectral_centroid_hz"] > 0
    finally:
        await peer.close()


async def test_the_setup_check_comes_first_and_on_request(start_server: StartServer) -> None:
    """A dark picture: the setup check after the first seconds says so; once the light is
    fixed, the check the client asks for says all is well. Posture (on by default) arrives in
    its own message, after the result of the frame it was measured on."""
    server = await start_server(posture_interval=1.0)
    dark = (place(astronaut()).astype(np.float32) * 0.2).astype(np.uint8)
    video = StillsTrack([dark])
    peer = ClientPeer(server.url, [video])
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    try:
        first = await peer.wait_for(lambda m: m["type"] == "setup", 20, "the first 'setup'")
        assert not first["ok"] and [a["code"] for a in first["advice"]] == ["too_dark"], first
        assert first["framing"]["brightness"] < 0.25 and first["advice"][0]["text"]
        video.frames = [place(astronaut())]
        lit = await peer.wait_for(
            lambda m: m["type"] == "video.frame" and m["framing"] and not m["framing"]["issues"],
            20,
            "a well-lit 'video.frame'",
        )
        await peer.wait_for(lambda m: m["type"] == "video.frame" and m["t"] > lit["t"] + 2.5)
        peer.send({"type": "setup"})
        again = await peer.wait_for(
            lambda m: m["type"] == "setup" and m["t"] > lit["t"], 10, "the asked-for 'setup'"
        )
        assert again["ok"] and again["advice"] == [], again
        posture = await peer.wait_for(lambda m: m["type"] == "posture", 20, "a 'posture'")
        assert -45 < posture["shoulder_tilt"] < 45 and not posture["hand_over_face"], posture
        before = peer.messages[: peer.messages.index(posture)]
        assert any(m["type"] == "video.frame" and m["t"] == posture["t"] for m in before), (
            f"the 'video.frame' at t={posture['t']} should come before its 'posture'"
        )
    finally:
        await peer.close()


async def test_a_face_that_leaves_the_picture_gets_one_nudge(start_server: StartServer) -> None:
    """The coach over a live session: the face leaves, one ``nudge`` says so (the figures that
    triggered it with it); it comes back, and no second nudge repeats it."""
    server = await start_server()
    video = StillsTrack([place(astronaut())])
    peer = ClientPeer(server.url, [video])
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    try:
        await peer.wait_for(lambda m: m["type"] == "video.frame" and m["face"], 20, "a face")
        video.frames = [blank()]
        nudge = await peer.wait_for(lambda m: m["type"] == "nudge", 20, "a 'nudge'")
        assert nudge["kind"] == "face_out_of_view" and nudge["severity"] == "high", nudge
        assert nudge["text"] == nudge["texts"]["en"] == "Move back into the picture", nudge
        assert nudge["figures"]["face_visible"] < nudge["figures"]["threshold"] == 0.2, nudge
        video.frames = [place(astronaut())]
        back = await peer.wait_for(lambda m: m["type"] == "video.frame" and m["face"], 10, "a face")
        await peer.wait_for(lambda m: m["type"] == "summary" and m["t"] > back["t"] + 6, 15)
        assert [m["kind"] for m in peer.of_type("nudge")] == ["face_out_of_view"], peer.received()
        peer.send({"type": "end"})
        await peer.wait_for(lambda m: m["type"] == "session.closed", 20, "the end")
    finally:
        await peer.close()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/api/sessions/{peer.session_id}/report") as response:
            report = await response.json()
    assert [n["kind"] for n in report["nudges"]] == ["face_out_of_view"], report["nudges"]
    assert abs(report["nudges"][0]["t"] - nudge["t"]) <= 0.01, (report["nudges"], nudge["t"])


async def test_eye_contact_is_calibrated_on_request(start_server: StartServer) -> None:
    """``calibrate``: the frames of the next two seconds become the person's "looking at the
    interviewer"; the answer says so, and later frames are judged against it, head pitch
    included."""
    server = await start_server()
    peer = ClientPeer(server.url, [StillsTrack([place(astronaut())])])
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    try:
        first = await peer.wait_for(lambda m: m["type"] == "video.frame" and m["face"], 20)
        assert first["gaze"]["baseline"] in ("camera", "resting"), first["gaze"]
        peer.send({"type": "calibrate"})
        done = await peer.wait_for(lambda m: m["type"] == "calibration", 15, "a 'calibration'")
        assert done["ok"] and done["reason"] is None and done["frames"] >= 5, done
        assert done["baseline"]["source"] == "calibrated" and done["text"].startswith("Got it")
        after = await peer.wait_for(
            lambda m: m["type"] == "video.frame" and m["t"] > done["t"] and m["face"], 10
        )
        assert after["gaze"]["baseline"] == "calibrated" and after["eye_contact"], after
        pose = after["head_pose"]
        assert abs(pose["pitch"]) <= 1.0, f"a still head reads level after calibrating: {pose}"
        assert pose["camera_pitch"] == pytest.approx(done["baseline"]["head_pitch"], abs=1.0)
    finally:
        await peer.close()


@pytest.mark.parametrize("kind", ["setup", "calibrate"])
async def test_a_setup_check_without_video_is_an_error(server: RunningServer, kind: str) -> None:
    peer = ClientPeer(server.url, [SamplesTrack(np.zeros(AUDIO_RATE, np.float32))])
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    try:
        peer.send({"type": kind})
        error = await peer.wait_for(lambda m: is_error(m, "no_video"), 10, "error 'no_video'")
        assert "video" in error["message"]
    finally:
        await peer.close()
