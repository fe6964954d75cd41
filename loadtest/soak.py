"""Churn soak: peers join and leave for a long time while the server's memory is watched.

    python -m loadtest.soak --url http://127.0.0.1:8080 --minutes 10 --peers 3 --session 20

``--peers`` slots each run sessions back to back, ``--session`` seconds long (+-30 %, so joins
and leaves interleave), with a second between them. ``--interviews N`` of the slots run
interviews instead (spoken questions, answers, feedback, the next question; ``--llm``: with the
server's language model reviewing each answer), and ``--upload-every S`` posts a recording to
``/api/analyze`` every S seconds. Every ``--every`` seconds the server's RSS, threads, child
processes and open file descriptors are read from ``/metrics``. Prints the series, the sessions
run and failed, the figures per five minutes, and the drift: the median RSS of the last two
minutes minus that of the second and third minutes (the first is warm-up), and the slope of a
line fitted after warm-up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from loadtest.encoded_media import EncodedMedia, encode, speech_samples
from loadtest.interview import PTIME, answer_samples, opus_packets
from loadtest.interview import run_peer as run_interview
from loadtest.run import run_peer
from testmedia.sources import astronaut, place, write_recording


@dataclass(frozen=True)
class Resources:
    """What the server holds at one moment, from its ``/metrics``."""

    t: float
    rss_mb: float
    threads: int
    children: int
    fds: int


async def server_resources(
    http: aiohttp.ClientSession, url: str, t: float, api_key: str | None = None
) -> Resources:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    async with http.get(f"{url}/metrics", headers=headers) as response:
        text = await response.text()
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name] = sample.value
    if "process_resident_memory_bytes" not in found:
        raise RuntimeError("the server's /metrics has no process_resident_memory_bytes")
    return Resources(
        t,
        round(found["process_resident_memory_bytes"] / 2**20, 1),
        int(found.get("lens_process_threads", 0)),
        int(found.get("lens_child_processes", 0)),
        int(found.get("process_open_fds", 0)),
    )


def by_five_minutes(series: list[Resources]) -> list[dict[str, Any]]:
    """Median RSS and the most threads, child processes and descriptors, per five minutes."""
    rows = []
    end = series[-1].t if series else 0.0
    for start in range(0, int(end) + 1, 300):
        stretch = [r for r in series if start <= r.t < start + 300]
        if stretch:
            rows.append(
                {
                    "minutes": f"{start // 60}-{start // 60 + 5}",
                    "rss_median_mb": round(statistics.median(r.rss_mb for r in stretch), 1),
                    "rss_max_mb": max(r.rss_mb for r in stretch),
                    "threads_max": max(r.threads for r in stretch),
                    "children_max": max(r.children for r in stretch),
                    "fds_max": max(r.fds for r in stretch),
                }
            )
    return rows


@dataclass
class Tally:
    sessions: int = 0
    interviews: int = 0
    answers: int = 0
    uploads: int = 0
    errors: list[str] = field(default_factory=list)


async def slot(
    index: int,
    url: str,
    media: EncodedMedia,
    args: argparse.Namespace,
    deadline: float,
    http: aiohttp.ClientSession,
    tally: Tally,
) -> None:
    rng = random.Random(index)
    interviewing = index < args.interviews
    answer = opus_packets(answer_samples("en")) if interviewing else []
    silence = opus_packets(np.zeros(48_000, np.float32)) if interviewing else []
    await asyncio.sleep(index * args.session / max(1, args.peers))
    while time.monotonic() + args.session * 0.7 < deadline:
        seconds = args.session * rng.uniform(0.7, 1.3)
        if interviewing:
            done = await run_interview(url, media, answer, silence, seconds, llm=args.llm)
            tally.interviews += 1
            tally.answers += done.answers
            error = done.error
        else:
            result = await run_peer(tally.sessions, url, media, seconds, http, args.api_key)
            tally.sessions += 1
            error = result.error
        if error is not None:
            tally.errors.append(error)
        await asyncio.sleep(1.0)


async def uploads(
    url: str, every: float, deadline: float, http: aiohttp.ClientSession, tally: Tally
) -> None:
    """A 10 s recording (a face, espeak-ng speech) posted every ``every`` seconds."""
    with tempfile.TemporaryDirectory() as folder:
        speech = speech_samples(10.0)[::3]  # 48 kHz to 16 kHz
        frames = [place(astronaut())] * 50
        path = await asyncio.to_thread(
            write_recording, Path(folder) / "upload.mp4", frames, 5, speech
        )
        data = path.read_bytes()
    await asyncio.sleep(every / 2)
    while time.monotonic() < deadline:
        form = aiohttp.FormData()
        form.add_field("file", data, filename="upload.mp4", content_type="video/mp4")
        async with http.post(f"{url}/api/analyze", data=form) as response:
            if response.status == 200:
                tally.uploads += 1
            else:
                tally.errors.append(f"upload: {response.status} {(await response.text())[:200]}")
        await asyncio.sleep(every)


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
    media = encode(seconds=12, ptime=PTIME)
    started = time.monotonic()
    deadline = started + args.minutes * 60
    tally = Tally()
    series: list[Resources] = []
    async with aiohttp.ClientSession() as http:
        tasks = [
            asyncio.create_task(slot(i, args.url, media, args, deadline, http, tally))
            for i in range(args.peers)
        ]
        if args.upload_every > 0:
            tasks.append(
                asyncio.create_task(uploads(args.url, args.upload_every, deadline, http, tally))
            )
        while time.monotonic() < deadline:
            elapsed = round(time.monotonic() - started, 1)
            now = await server_resources(http, args.url, elapsed, args.api_key)
            series.append(now)
            print(
                f"{elapsed:6.0f} s  RSS {now.rss_mb:7.1f} MB  threads {now.threads:4d}  "
                f"children {now.children:3d}  fds {now.fds:4d}  sessions "
                f"{tally.sessions}+{tally.interviews} interviews  uploads {tally.uploads}",
                flush=True,
            )
            await asyncio.sleep(args.every)
        await asyncio.gather(*tasks)
        await asyncio.sleep(5.0)  # every session closed: what stays is what leaks
        after = await server_resources(
            http, args.url, round(time.monotonic() - started, 1), args.api_key
        )
    rss = [(r.t, r.rss_mb) for r in [*series, after]]
    return {
        "minutes": args.minutes,
        "peers": args.peers,
        "interviews": tally.interviews,
        "answers": tally.answers,
        "sessions": tally.sessions,
        "uploads": tally.uploads,
        "failed": len(tally.errors),
        "errors": sorted(set(tally.errors))[:5],
        **drift(rss),
        "by_five_minutes": by_five_minutes(series),
        "after": asdict(after),
        "rss_mb": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--peers", type=int, default=3, help="sessions at a time")
    parser.add_argument("--session", type=float, default=20.0, help="seconds per session")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between RSS reads")
    parser.add_argument("--interviews", type=int, default=0, help="slots running interviews")
    parser.add_argument("--llm", action="store_true", help="interviews reviewed by the model")
    parser.add_argument(
        "--upload-every", type=float, default=0.0, help="seconds between uploads (0: none)"
    )
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
