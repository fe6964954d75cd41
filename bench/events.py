"""How soon speech events reach a client over WebRTC on loopback.

    python -m bench.events [--phrases 20]

Starts the server in-process, sends espeak-ng phrases separated by 1 s of silence from an aiortc
client, and dates every change on the client's clock (media time 0 is when the client handed
its first audio frame to the sender). Prints the median and maximum delay from the change to
the arrival of its ``speech.started`` and ``speech.stopped`` messages.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from aiohttp import web

from analyzers import AUDIO_RATE
from loadtest.peer import AUDIO_SEND_RATE, ClientPeer, SamplesTrack
from signaling.http.app import create_app
from signaling.settings import Settings
from testmedia.sources import phrase, resample


async def measure(phrases: int) -> dict[str, list[float]]:
    runner = web.AppRunner(create_app(Settings(port=0)), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    with tempfile.TemporaryDirectory() as tmp:
        speech = phrase("Thank you for having me here today", Path(tmp) / "p.wav")
    gap = np.zeros(AUDIO_RATE, np.float32)
    clip = resample(np.concatenate([gap, *([speech, gap] * phrases)]), AUDIO_RATE, AUDIO_SEND_RATE)
    audio = SamplesTrack(clip)
    arrivals: dict[int, float] = {}

    def arrived(message: dict[str, Any]) -> None:
        arrivals.setdefault(id(message), time.time())

    peer = ClientPeer(url, [audio], on_message=arrived)
    try:
        async with aiohttp.ClientSession() as http:
            await peer.connect(http)
        seconds = clip.size / AUDIO_SEND_RATE
        await peer.wait_for(
            lambda m: m["type"] == "speech.stopped" and m["t"] > seconds - 2.0, seconds + 10
        )
    finally:
        await peer.close()
        await runner.cleanup()
    assert audio.started_at is not None
    delays: dict[str, list[float]] = {"speech.started": [], "speech.stopped": []}
    for message in peer.messages:
        if message["type"] in delays:
            delays[message["type"]].append(arrivals[id(message)] - audio.started_at - message["t"])
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phrases", type=int, default=20)
    args = parser.parse_args()
    for noisy in ("aioice", "aiortc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    delays = asyncio.run(measure(args.phrases))
    for kind, values in delays.items():
        ms = [v * 1000 for v in values]
        print(
            f"{kind}: {len(ms)} events, change to arrival median {statistics.median(ms):.0f} ms, "
            f"max {max(ms):.0f} ms"
        )


if __name__ == "__main__":
    main()
