"""What one abusive data-channel peer costs the server and the others:
``python -m bench.channel_abuse``.

A real ``server.py`` (its own process, so its CPU is its own) with one ordinary peer that pings
every 100 ms and sends video. Then, in turn:

- **flood**: a second peer sends pings as fast as it can for 10 s;
- **huge**: a second peer sends one 30 MB text message.

Printed for each: the server's CPU seconds over the phase, the ordinary peer's ping round trip
(p50 / p95 / max, ms) in a quiet phase of the same length and during the abuse, and how the
abuser's session ended.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from statistics import median

import aiohttp

from loadtest.capacity import cpu_seconds, start_server, wait_ready
from loadtest.peer import ClientPeer, StillsTrack
from signaling.http.connections import free_loopback_port
from testmedia.sources import astronaut, place


async def pinger(peer: ClientPeer, seconds: float) -> list[float]:
    """Round trips (ms) of a ping every 100 ms for ``seconds``."""
    trips: list[float] = []
    sent: dict[str, float] = {}

    def on_message(raw: str | bytes) -> None:
        message = json.loads(raw)
        if message.get("type") == "pong" and message.get("id") in sent:
            trips.append((time.perf_counter() - sent.pop(message["id"])) * 1000)

    peer.channel.on("message", on_message)
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        tag = f"bench-{n}"
        sent[tag] = time.perf_counter()
        peer.send({"type": "ping", "id": tag})
        n += 1
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    peer.channel.remove_listener("message", on_message)
    return trips


def figures(trips: list[float]) -> str:
    if not trips:
        return "no pongs"
    ordered = sorted(trips)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"{median(ordered):.1f} / {p95:.1f} / {ordered[-1]:.1f} ms ({len(trips)} pongs)"


async def connect(url: str) -> ClientPeer:
    peer = ClientPeer(url, [StillsTrack([place(astronaut())])], heartbeat=None)
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    await peer.wait_for(lambda m: m["type"] == "video.frame", 30, "a first frame")
    return peer


async def flood(peer: ClientPeer, seconds: float) -> None:
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end and peer.channel.readyState == "open":
        for _ in range(100):
            peer.send({"type": "ping", "id": n})
            n += 1
        await asyncio.sleep(0.01)


async def huge(peer: ClientPeer, seconds: float) -> None:
    peer.channel.send("[" * 30_000_000)
    await asyncio.sleep(seconds)


async def phase(url: str, pid: int, name: str, seconds: float) -> None:
    ordinary = await connect(url)
    abuser = await connect(url)
    try:
        started = cpu_seconds(pid)
        quiet = await pinger(ordinary, seconds)
        quiet_cpu = cpu_seconds(pid) - started
        started = cpu_seconds(pid)
        abuse = flood if name == "flood" else huge
        during, _ = await asyncio.gather(pinger(ordinary, seconds), abuse(abuser, seconds))
        cpu = cpu_seconds(pid) - started
        ended = [m.get("reason") for m in abuser.of_type("session.closed")]
        errors = sorted({m["code"] for m in abuser.of_type("error")})
        print(
            f"{name}: server CPU {quiet_cpu:.1f} s quiet, {cpu:.1f} s abused, in {seconds:.0f} s "
            f"each; abuser errors {errors}, ended {ended or 'no'}"
        )
        print(f"  ordinary peer's ping, quiet:  {figures(quiet)}")
        print(f"  ordinary peer's ping, abused: {figures(during)}")
    finally:
        await abuser.close()
        await ordinary.close()


async def main_async(seconds: float, cpu: str) -> None:
    port = free_loopback_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as directory:
        server = start_server("lens-no-transcript", port, cpu, directory)
        try:
            await wait_ready(url, "lens-no-transcript")
            for name in ("flood", "huge"):
                await phase(url, server.pid, name, seconds)
        finally:
            server.terminate()
            server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--server-cpu", default="0", help="taskset CPU list ('' = unpinned)")
    args = parser.parse_args()
    asyncio.run(main_async(args.seconds, args.server_cpu))


if __name__ == "__main__":
    main()
