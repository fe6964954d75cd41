"""Media on a configured UDP port range: the server's ICE candidates all use ports from it and
media flows; a range with no free port says so."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from loadtest.peer import ClientPeer, StillsTrack
from signaling.http.app import create_app
from signaling.settings import Settings
from tests.media import astronaut, place
from webrtc.peer.loops import event_loop_class, loop_name
from webrtc.peer.udp_ports import parse_port_range, port_range_loop

CANDIDATE_PORT = re.compile(r"a=candidate:\S+ \d+ udp \d+ \S+ (\d+) typ host")


def free_udp_range(size: int) -> range:
    """``size`` consecutive UDP ports that are free now."""
    for start in range(40000, 60000, size):
        ports = range(start, start + size)
        try:
            for port in ports:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.bind(("0.0.0.0", port))
        except OSError:
            continue
        return ports
    raise RuntimeError("no free UDP range")


@pytest.mark.parametrize("kind", ["asyncio", "uvloop"])
def test_server_candidates_use_the_range(tmp_path: Path, kind: str) -> None:
    """On both event loops server.py can run on."""
    ports = free_udp_range(20)

    async def scenario() -> tuple[str, int]:
        settings = Settings(port=0, data_dir=tmp_path, udp_ports=f"{ports.start}-{ports[-1]}")
        runner = web.AppRunner(create_app(settings), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        peer = ClientPeer(url, [StillsTrack([place(astronaut())])])
        try:
            async with aiohttp.ClientSession() as http:
                answer = await peer.connect(http)
            await peer.wait_for(lambda m: m["type"] == "video.frame" and m["face"])
            return answer["sdp"], len(peer.of_type("video.frame"))
        finally:
            await peer.close()
            await runner.cleanup()

    loop = port_range_loop(event_loop_class(kind), ports)  # type: ignore[arg-type]
    assert loop_name(loop) == kind
    asyncio.set_event_loop(loop)  # as server.py's run_app does with it
    try:
        sdp, frames = loop.run_until_complete(asyncio.wait_for(scenario(), 60))
    finally:
        # ICE checks aioice may still have scheduled: end them before the loop goes.
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        asyncio.set_event_loop(None)
        loop.close()
    used = [int(p) for p in CANDIDATE_PORT.findall(sdp)]
    assert used and all(p in ports for p in used), (used, ports)
    assert frames >= 1, "media flows through the range"


def test_a_full_range_says_so() -> None:
    ports = free_udp_range(1)
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("127.0.0.1", ports.start))
    loop = port_range_loop(asyncio.SelectorEventLoop, ports)
    asyncio.set_event_loop(loop)
    try:
        with pytest.raises(OSError, match=f"no free UDP port for 127.0.0.1 in {ports.start}"):
            loop.run_until_complete(
                loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
            )
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        blocker.close()


@pytest.mark.parametrize("text", ["50000", "50000-", "x-y", "100-200", "60000-50000", "1-70000"])
def test_port_range_syntax(text: str) -> None:
    if text == "50000":
        assert parse_port_range(text) == range(50000, 50001)
        return
    with pytest.raises(ValueError, match="UDP port"):
        parse_port_range(text)
