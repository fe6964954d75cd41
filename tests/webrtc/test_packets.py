"""Fewer packets per peer: the answer asks for 60 ms of Opus per packet (``a=ptime``), the load
client sends it, and the server counts the packets that came. (Chromium honouring it:
``tests/test_browser.py``.)"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import pytest

from loadtest.encoded_media import (
    AUDIO_TIME_BASE,
    BROWSER_FPS,
    BROWSER_VIDEO_KBPS,
    VIDEO_TIME_BASE,
    ReplayTrack,
    encode,
)
from loadtest.peer import ClientPeer
from tests.conftest import RunningServer, StartServer
from webrtc.peer.rtp import ask_ptime, packets_received

OFFERED = (
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 97\r\na=mid:1\r\na=rtpmap:97 VP8/90000\r\n"
)


def test_the_answer_asks_each_audio_section_for_the_packet_time() -> None:
    asked = ask_ptime(OFFERED, 60)
    audio, video = asked.split("m=video")
    assert audio.endswith("a=rtpmap:111 opus/48000/2\r\na=ptime:60\r\n"), audio
    assert "ptime" not in video and asked.endswith("VP8/90000\r\n")
    assert ask_ptime(asked, 40) == asked, "a section that has a ptime keeps it"
    assert ask_ptime(OFFERED, 0) == OFFERED, "0 asks nothing"
    with pytest.raises(ValueError, match="ptime must be one of"):
        ask_ptime(OFFERED, 30)


def test_the_load_client_sends_what_the_browser_sends() -> None:
    """``loadtest.encoded_media``'s profile is ``LensClient``'s defaults, read from the page's
    code."""
    code = (Path(__file__).parents[2] / "static/js/lens-client.js").read_text()
    framerate = re.search(r"maxFramerate = (\d+),", code)
    bitrate = re.search(r"maxVideoBitrate = ([\d_]+),", code)
    assert framerate and bitrate, "LensClient's constructor defaults were not found"
    assert int(framerate.group(1)) == BROWSER_FPS
    assert int(bitrate.group(1).replace("_", "")) == BROWSER_VIDEO_KBPS * 1000


async def rate(server: RunningServer, seconds: float = 5.0) -> dict[str, float]:
    """Packets per second by kind that the server's one session receives, over ``seconds``."""
    (session,) = list(server.registry)
    before = await packets_received(session.pc)
    await asyncio.sleep(seconds)
    after = await packets_received(session.pc)
    return {kind: (after[kind] - before.get(kind, 0)) / seconds for kind in after}


async def test_an_aiortc_peer_sends_60_ms_packets_and_the_server_counts_them(
    start_server: StartServer,
) -> None:
    server = await start_server()
    media = encode(320, 240, seconds=3)
    assert {duration for _, duration in media.audio} == {60 * 48}, "60 ms at 48 kHz"
    tracks = [
        ReplayTrack("video", media.video, VIDEO_TIME_BASE),
        ReplayTrack("audio", media.audio, AUDIO_TIME_BASE),
    ]
    peer = ClientPeer(server.url, tracks)
    async with aiohttp.ClientSession() as http:
        answer = await peer.connect(http)
        assert "a=ptime:60" in answer["sdp"]
        got = await rate(server)
        await peer.close()
        await asyncio.sleep(0.5)
        async with http.get(f"{server.url}/metrics") as response:
            metrics = await response.text()
    assert 14 <= got["audio"] <= 19, f"expected ~16.7 audio packets/s (60 ms), got {got}"
    assert got["video"] > 0, got
    counted = re.search(r'lens_rtp_packets_received_total\{kind="audio"\} ([\d.e+]+)', metrics)
    assert counted and float(counted.group(1)) >= 5 * 14, "the closed session's packets count"
