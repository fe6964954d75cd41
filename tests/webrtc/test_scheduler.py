"""Shared analysis threads and the load-adaptive full-analysis rate: the controller's rule on
given latencies, and the real server lowering its rate, then refusing sessions, when its
analysis cannot meet the latency target."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time

import aiohttp
import numpy as np
import pytest
from aiortc import RTCPeerConnection
from aiortc.mediastreams import VideoStreamTrack

from analyzers.session.stream import Every
from analyzers.video.sampling import VideoSampler
from loadtest.peer import AUDIO_SEND_RATE, ClientPeer, SamplesTrack, StillsTrack
from tests.conftest import StartServer
from tests.media import astronaut, blank, place
from tests.signaling.test_metrics import scrape
from webrtc.runtime.scheduler import AnalysisScheduler, CpuLoad, PerThread, RateController


def test_rate_falls_when_late_and_recovers_when_early() -> None:
    rate = RateController(max_fps=5.0, min_fps=2.0, target=0.1, period=1.0)
    now = 0.0
    for _ in range(25):  # five seconds of late frames: an adjustment each second
        rate.observe(0.2, now)
        now += 0.2
    assert rate.fps == 2.0, "5 x 0.75^3 = 2.1, then floored at min_fps"
    assert rate.decreases == 4
    assert rate.saturated(now), "at the floor and still late"
    assert not rate.saturated(now + 10.0), "an old measurement says nothing of now"
    for _ in range(40):
        rate.observe(0.02, now)
        now += 0.2
    assert rate.fps == 5.0, "raised by a tenth of max_fps per early second, capped"
    assert not rate.saturated(now)


def test_rate_holds_between_headroom_and_target() -> None:
    rate = RateController(max_fps=5.0, min_fps=1.0, target=0.1, period=1.0)
    for i in range(26):  # adjustments at 1, 2, 3, 4 and 5 s leave nothing pending
        rate.observe(0.09 if i % 2 else 0.2, i * 0.2)
    lowered = rate.fps
    assert lowered < 5.0
    for i in range(26, 60):
        rate.observe(0.08, i * 0.2)
    assert rate.fps == lowered, "between 60 % of target and target: no change"


def test_rate_needs_enough_samples() -> None:
    rate = RateController(max_fps=5.0, min_fps=1.0, target=0.1, period=1.0, min_samples=5)
    for i in range(4):
        rate.observe(1.0, i * 1.0)
    assert rate.fps == 5.0 and rate.p95 is None


def test_bad_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="min_fps"):
        RateController(max_fps=2.0, min_fps=3.0, target=0.1)


def test_sampler_follows_a_new_rate_from_the_next_slot() -> None:
    sampler = VideoSampler(5.0)
    times = [i / 30 for i in range(90)]
    first = [t for t in times[:30] if sampler.decide(t) == "full"]
    sampler.set_full_fps(2.0)
    later = [t for t in times[30:] if sampler.decide(t) == "full"]
    assert len(first) == 5
    assert 3 <= len(later) <= 5, "2 fps over the last two seconds"
    assert statistics.median(np.diff(later)) == pytest.approx(0.5, abs=0.04)


def test_summaries_are_worked_out_at_most_once_per_gate_interval() -> None:
    gate = Every(1.0)
    times = [i * 0.25 for i in range(13)] + [0.5, 0.75, 1.5]
    assert [t for t in times if gate(t)] == [0.0, 1.0, 2.0, 3.0, 0.5, 1.5], (
        "a stream that starts again from 0 is summed up again at once"
    )


async def test_one_job_at_a_time_per_lock() -> None:
    scheduler = AnalysisScheduler(RateController(5.0, 1.0, 0.1), PerThread(object), threads=4)
    lock = threading.Lock()
    inside, most = 0, 0
    guard = threading.Lock()

    def job() -> None:
        nonlocal inside, most
        with guard:
            inside += 1
            most = max(most, inside)
        threading.Event().wait(0.01)
        with guard:
            inside -= 1

    try:
        await asyncio.gather(*(scheduler.run(lock, job) for _ in range(12)))
    finally:
        scheduler.shutdown()
    assert most == 1, "jobs holding one pipeline's lock never overlap"


async def test_warm_up_builds_once_on_every_thread_and_retries_after_a_failure() -> None:
    attempts: list[str] = []

    def build() -> str:
        attempts.append(threading.current_thread().name)
        if len(attempts) == 1:
            raise OSError("model file unreadable")
        return threading.current_thread().name

    models = PerThread(build)
    scheduler = AnalysisScheduler(RateController(5.0, 1.0, 0.1), models, threads=3)
    try:
        with pytest.raises(OSError, match="unreadable"):
            await scheduler.warm()
        await asyncio.gather(*(scheduler.warm() for _ in range(4)))
        await scheduler.warm()
        ran = await asyncio.gather(
            *(
                scheduler.run(threading.Lock(), lambda: (models(), threading.current_thread().name))
                for _ in range(12)
            )
        )
    finally:
        scheduler.shutdown()
    assert models.built == 3, "one set per thread, however many callers"
    assert len(set(attempts[1:])) == 3, "the warm-up reached every thread"
    assert all(owner == thread for owner, thread in ran), "each job got its own thread's set"
    assert models.built == 3, "and found it ready"


async def test_sessions_share_the_models_but_not_their_state(start_server: StartServer) -> None:
    """Two sessions at once, one showing a face and one an empty room, then a third: each sees
    only its own stream, and the models were loaded once per analysis thread, not per session."""
    server = await start_server()
    tone = 0.2 * np.sin(2 * np.pi * 220 * np.arange(AUDIO_SEND_RATE) / AUDIO_SEND_RATE)

    def peer(frame: np.ndarray) -> ClientPeer:
        return ClientPeer(server.url, [StillsTrack([frame]), SamplesTrack(tone.astype(np.float32))])

    def frames_seen(peer: ClientPeer, count: int) -> bool:
        return len(peer.of_type("video.frame")) >= count

    face, room = peer(place(astronaut())), peer(blank())
    async with aiohttp.ClientSession() as http:
        await asyncio.gather(face.connect(http), room.connect(http))
        try:
            await face.wait_for(lambda m: frames_seen(face, 8))
            await room.wait_for(lambda m: frames_seen(room, 8))
        finally:
            await asyncio.gather(face.close(), room.close())
        third = peer(place(astronaut(), scale=0.5, centre=(0.3, 0.6)))
        await third.connect(http)
        try:
            await third.wait_for(lambda m: frames_seen(third, 3))
        finally:
            await third.close()
    assert all(m["face"] for m in face.of_type("video.frame"))
    assert not any(m["face"] for m in room.of_type("video.frame"))
    assert all(m["face"] for m in third.of_type("video.frame"))
    scheduler = server.registry.scheduler
    assert isinstance(scheduler.video_models, PerThread)
    assert scheduler.video_models.built == scheduler.threads


async def test_server_lowers_its_rate_then_refuses_sessions(start_server: StartServer) -> None:
    """A latency target no analysis can meet (1 ms): the rate falls to its floor, results keep
    coming at that rate, and new offers are refused while the server is saturated."""
    server = await start_server(video_fps=10.0, min_video_fps=2.0, latency_target=0.001)
    tone = 0.2 * np.sin(2 * np.pi * 220 * np.arange(AUDIO_SEND_RATE) / AUDIO_SEND_RATE)
    peer = ClientPeer(
        server.url, [StillsTrack([place(astronaut())]), SamplesTrack(tone.astype(np.float32))]
    )
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
        try:
            rate = server.registry.scheduler.rate
            for _ in range(300):
                if rate.fps == 2.0 and len(peer.of_type("video.frame")) >= 20:
                    break
                await asyncio.sleep(0.1)
            assert rate.fps == 2.0, f"rate stayed at {rate.fps}"
            floor_reached = len(peer.of_type("video.frame"))
            await peer.wait_for(
                lambda m: (
                    m["type"] == "video.frame"
                    and len(peer.of_type("video.frame")) >= floor_reached + 6
                )
            )
            metrics = await scrape(server)
            assert metrics[("lens_video_fps", ())] == 2.0
            assert metrics[("lens_video_fps_decreases_total", ())] >= 5
            assert metrics[("process_resident_memory_bytes", ())] > 50e6
            gaps = np.diff([m["t"] for m in peer.of_type("video.frame")[-5:]])
            assert statistics.median(gaps) == pytest.approx(0.5, abs=0.07), gaps
            other = RTCPeerConnection()
            other.addTransceiver(VideoStreamTrack(), direction="sendonly")
            other.createDataChannel("analysis")
            await other.setLocalDescription(await other.createOffer())
            await other.close()
            offer = {"sdp": other.localDescription.sdp, "type": "offer"}
            async with http.post(server.url + "/api/offer", json=offer) as response:
                body = await response.json()
                assert (response.status, body["error"]["code"]) == (503, "server_full")
                assert "saturated" in body["error"]["message"]
                assert response.headers["Retry-After"] == "10"
        finally:
            await peer.close()


def test_cpu_load_is_the_share_of_the_cores_used() -> None:
    """A second of busy Python on one of two cores reads about half; a second asleep, nothing."""
    load = CpuLoad(period=1.0, cores=2)
    end = time.monotonic() + 1.05
    while time.monotonic() < end:
        pass
    assert 0.35 < load.now() <= 0.55, load.share
    time.sleep(1.05)
    assert load.now() < 0.1, load.share
