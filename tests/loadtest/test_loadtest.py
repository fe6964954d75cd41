"""The capacity tools against real servers: the load client, the naive baseline, the floor, the
capacity study and the churn soak. (Their figures are benchmarks, in docs/benchmarks.md; these
tests check that the tools measure what they say.)"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import pytest

from analyzers.words.recognition import WhisperRecognizer
from bench import profile_shares
from bench.floor import PARTS, run_once
from loadtest import capacity, soak
from loadtest.encoded_media import EncodedMedia, encode
from loadtest.run import run_load
from modelfiles.registry import ASR_MODELS, FER_MINI_XCEPTION, ModelRegistry
from tests.conftest import StartServer
from webrtc.runtime.config import PipelineConfig


@pytest.fixture(scope="module")
def media() -> EncodedMedia:
    return encode(320, 240, 10, seconds=3)


async def test_load_client_reports_latency_from_the_server(
    start_server: StartServer, media: EncodedMedia
) -> None:
    server = await start_server(max_sessions=4)
    summary, results = await run_load(server.url, 2, 5.0, 0.5, media, progress=False)
    assert (summary["peers"], summary["connected"], summary["failed"]) == (2, 2, 0)
    assert summary["video_frames"] >= 10, "about 5 fps for 4 s from each peer"
    assert 0 < summary["latency_ms"]["p50"] <= summary["latency_ms"]["p95"] < 5000
    assert summary["messages_per_s"] > 0 and summary["connect_ms"]["p50"] > 0
    # Sent to result adds the way in (RTP, jitter buffer, decoding) to received to result.
    assert summary["sent_to_result_ms"]["p50"] > summary["latency_ms"]["p50"]
    kinds = {m["type"] for r in results for _, m in r.messages}
    assert {"session.ready", "video.frame", "audio.window"} <= kinds


def test_the_floor_counts_every_part(media: EncodedMedia) -> None:
    registry = ModelRegistry()
    config = PipelineConfig(expression_model_path=registry.path(FER_MINI_XCEPTION))
    without = run_once(media, 2.0, config)
    assert without["transcription"] == 0.0, "no recognizer, no transcription"
    recognizer = WhisperRecognizer(registry.bundle(ASR_MODELS["tiny.en"]))
    result = run_once(media, 8.0, config, recognizer)
    assert all(result[part] > 0 for part in PARTS), result
    assert result["total"] == pytest.approx(sum(result[p] for p in PARTS))


async def test_baseline_server_answers_the_load_client(
    media: EncodedMedia, unused_tcp_port: int
) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.baseline", "--port", str(unused_tcp_port)
    )
    try:
        url = f"http://127.0.0.1:{unused_tcp_port}"
        await capacity.wait_ready(url, "naive")
        summary, _ = await run_load(url, 1, 5.0, 0.0, media, progress=False)
    finally:
        child.terminate()
        await child.wait()
    assert summary["failed"] == 0
    assert summary["video_frames"] >= 5 and summary["latency_ms"]["p95"] is not None


async def test_capacity_run_reads_the_servers_cpu_and_memory(media: EncodedMedia) -> None:
    args = argparse.Namespace(server_cpu="", ramp=0.0, duration=10.0)
    run = await capacity.one_run("lens", 1, args, media, 8390 + os.getpid() % 50)
    assert run["failed"] == 0 and run["video_frames"] >= 10
    assert 0 < run["cpu_ms_per_peer_s"] < 2000 and 0 < run["core_busy"] < 2
    assert run["rss_loaded_mb"] > run["rss_idle_mb"] > 50
    table = capacity.table([run])
    assert "| lens | 1 | 0 |" in table


def test_drift_is_measured_after_warm_up() -> None:
    series = [(float(t), 500.0 + (100.0 if t < 60 else 0.1 * t)) for t in range(0, 601, 10)]
    result = soak.drift(series)
    assert result["slope_mb_per_min"] == pytest.approx(6.0, abs=0.01)
    assert result["rss_early_mb"] == pytest.approx(511.5, abs=0.01), "minutes 2-3: 506..517"
    assert result["rss_late_mb"] == pytest.approx(554.0, abs=0.01), "last two minutes: 548..560"
    assert result["drift_mb"] == pytest.approx(42.5, abs=0.01)


async def test_soak_churns_sessions_and_watches_memory(start_server: StartServer) -> None:
    # Churn and memory, not admission: a loaded test machine must not make the server refuse.
    server = await start_server(max_sessions=4, latency_target=5.0)
    args = argparse.Namespace(
        url=server.url,
        minutes=0.25,
        peers=2,
        session=4.0,
        every=2.0,
        api_key=None,
        interviews=1,
        llm=False,
        upload_every=6.0,
    )
    result = await soak.soak(args)
    assert result["sessions"] >= 2 and result["interviews"] >= 1, result
    assert result["uploads"] >= 1 and result["failed"] == 0, result
    assert len(result["rss_mb"]) >= 5 and all(mb > 50 for _, mb in result["rss_mb"])
    stretch = result["by_five_minutes"][0]
    assert stretch["threads_max"] > 0 and stretch["fds_max"] > 0, stretch
    after = result["after"]
    assert after["threads"] > 0 and after["fds"] > 0 and "children" in after, after


def test_profile_shares_leave_out_waiting_threads() -> None:
    loop = "thread (0x1): MainThread;BaseEventLoop.run_forever (asyncio/base_events.py:607)"
    lines = [
        f"{loop};_SelectorDatagramTransport._read_ready (asyncio/selector_events.py:1159) 30",
        f"{loop};RTCDtlsTransport._recv_next (aiortc/rtcdtlstransport.py:600) 20",
        f"{loop};Session.__process (pylibsrtp/__init__.py:274);unprotect (x:1) 10",
        f"{loop};EpollSelector.select (selectors.py:468) 500",
        "thread (0x2): lens-analysis_0;AudioPipeline._process (webrtc/runtime/pipeline.py:211);"
        "AudioStream.feed (analyzers/session/stream.py:240) 25",
        "thread (0x2): lens-analysis_0;SolutionBase.process (mediapipe/python/s.py:340) 15",
        "thread (0x2): lens-analysis_0;_worker (concurrent/futures/thread.py:81) 900",
        "thread (0x3): video-decoder;Condition.wait (threading.py:327) 700",
    ]
    assert profile_shares.shares(lines) == {
        "event loop: asyncio itself": 0.3,
        "analysis: audio chain": 0.25,
        "event loop: aiortc's DTLS/RTP receive path": 0.2,
        "analysis: MediaPipe face graphs": 0.15,
        "event loop: SRTP": 0.1,
    }
