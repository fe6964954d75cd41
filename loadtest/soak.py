"""Churn soak: peers join and leave for a long time while the server's memory is watched.

    python -m loadtest.soak --url http://127.0.0.1:8080 --minutes 10 --peers 3 --session 20

``--peers`` slots each run sessions back to back, ``--session`` seconds long (+-30 %, so joins
and leaves interleave), with a second between them. Every ``--every`` seconds the server's RSS
is read from ``/metrics`` (``process_resident_memory_bytes``). Prints the series, the sessions
run and failed, and the drift: the median RSS of the last two minutes minus that of the second
and third minutes (the first is warm-up), and the slope of a line fitted after warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from typing import Any

import aiohttp
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from loadtest.encoded_media import EncodedMedia, encode
from loadtest.run import PeerResult, run_peer


async def server_memory(http: aiohttp.ClientSession, url: str) -> tuple[float, int]:
    """The server's RSS (MB) and threads, from its ``/metrics``."""
    async with http.get(f"{url}/metrics") as response:
        text = await response.text()
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name] = sample.value
    if "process_resident_memory_bytes" not in found:
        raise RuntimeError("the server's /metrics has no process_resident_memory_bytes")
    return found["process_resident_memory_bytes"] / 2**20, int(found.get("lens_process_threads", 0))


async def slot(
    index: int,
    url: str,
    media: EncodedMedia,
    args: argparse.Namespace,
    deadline: float,
    http: aiohttp.ClientSession,
    results: list[PeerResult],
) -> None:
    rng = random.Random(index)
    await asyncio.sleep(index * args.session / max(1, args.peers))
    while time.monotonic() + args.session * 0.7 < deadline:
        seconds = args.session * rng.uniform(0.7, 1.3)
        result = await run_peer(len(results), url, media, seconds, http, args.api_key)
        result.messages.clear()  # a long soak would otherwise hold every message here
        results.append(result)
        await asyncio.sleep(1.0)


def drift(series: list[tuple[float, float]]) -> dict[str, Any]:
    """RSS change after warm-up: medians of minutes 2-3 and of the last two, and the slope."""
    after = [(t, mb) for t, mb in series if t >= 60.0]
    early = [mb for t, mb in after if t < 180.0]
    end = series[-1][0]
    late = [mb for t, mb in after if t >= end - 120.0]
    slope = (
        float(np.polyfit([t for t, _ in after], [mb for _, mb in after], 1)[0]) * 60
        if len(after) >= 3
        else None
    )
    return {
        "rss_early_mb": round(statistics.median(early), 1) if early else None,
        "rss_late_mb": round(statistics.median(late), 1) if late else None,
        "drift_mb": round(statistics.median(late) - statistics.median(early), 1)
        if early and late
        else None,
        "slope_mb_per_min": None if slope is None else round(slope, 2),
    }


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    media = encode()
    started = time.monotonic()
    deadline = started + args.minutes * 60
    results: list[PeerResult] = []
    series: list[tuple[float, float]] = []
    threads: list[tuple[float, int]] = []
    async with aiohttp.ClientSession() as http:
        slots = [
            asyncio.create_task(slot(i, args.url, media, args, deadline, http, results))
            for i in range(args.peers)
        ]
        while time.monotonic() < deadline:
            elapsed = round(time.monotonic() - started, 1)
            rss, count = await server_memory(http, args.url)
            series.append((elapsed, round(rss, 1)))
            threads.append((elapsed, count))
            print(
                f"{elapsed:6.0f} s  RSS {rss:7.1f} MB  threads {count:4d}  sessions {len(results)}"
            )
            await asyncio.sleep(args.every)
        await asyncio.gather(*slots)
        await asyncio.sleep(5.0)  # every session closed: what stays is what leaks
        rss, count = await server_memory(http, args.url)
        series.append((round(time.monotonic() - started, 1), round(rss, 1)))
        threads.append((series[-1][0], count))
    failed = [r.error for r in results if r.error is not None]
    return {
        "minutes": args.minutes,
        "peers": args.peers,
        "sessions": len(results),
        "failed": len(failed),
        "errors": sorted(set(failed))[:5],
        **drift(series),
        "threads_first_last": [threads[1][1] if len(threads) > 1 else None, threads[-1][1]],
        "threads_max": max(count for _, count in threads),
        "rss_mb": series,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--peers", type=int, default=3, help="sessions at a time")
    parser.add_argument("--session", type=float, default=20.0, help="seconds per session")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between RSS reads")
    parser.add_argument("--api-key")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    result = asyncio.run(soak(args))
    if args.json:
        print(json.dumps(result))
    else:
        print({k: v for k, v in result.items() if k != "rss_mb"})


if __name__ == "__main__":
    main()
