"""Capacity study: Lens and the naive baseline, pinned to one core, under the same load.

    taskset -c 1 python -m loadtest.capacity --peers 1,2,4,6 --repeat 2 --server-cpu 0

For each repeat, each server kind (``lens``: ``server.py`` with its defaults, transcripts on;
``lens-no-transcript``: without speech recognition; ``lens-asyncio``: on asyncio's event loop
instead of uvloop; ``naive``: ``bench.baseline``; ``receive-only``: the
baseline without analysis) and each peer count, a fresh server is started pinned with
``taskset -c SERVER_CPU``, the load runs from this process (pin it to another core), and the
server's CPU (``/proc``, all threads) and RSS are read while every peer is connected. Prints one
JSON line per run and a table of medians: p50/p95/p99 frame-to-result latency, failures, server
CPU ms per peer-second, RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from loadtest.encoded_media import BROWSER_FPS, BROWSER_VIDEO_KBPS, EncodedMedia, encode
from loadtest.run import run_load
from webrtc.runtime.config import PipelineConfig

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime, all threads


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def start_server(kind: str, port: int, cpu: str, data_dir: str) -> subprocess.Popen[bytes]:
    if kind.startswith("lens"):
        command = [sys.executable, "server.py"]
    elif kind == "seed":
        command = [sys.executable, "-m", "bench.seed", "serve", "--port", str(port)]
    else:
        command = [sys.executable, "-m", "bench.baseline", "--port", str(port)]
        command += ["--analysis", "none"] if kind == "receive-only" else []
    if cpu and shutil.which("taskset"):
        command = ["taskset", "-c", cpu, *command]
    env = {**os.environ, "LENS_PORT": str(port), "LENS_DATA_DIR": data_dir}
    if kind == "lens-asyncio":
        env["LENS_EVENT_LOOP"] = "asyncio"
    if kind == "lens-no-transcript":
        env["LENS_TRANSCRIPT"] = "false"
    env.setdefault("LENS_MAX_SESSIONS", "100")
    env.setdefault("LENS_RATE_LIMIT_PER_MINUTE", "6000")
    env.setdefault("LENS_RATE_LIMIT_BURST", "200")
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def wait_ready(url: str, kind: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            try:
                # Any HTTP answer means it is serving (the baseline has no /health).
                async with http.get(f"{url}/health" if kind.startswith("lens") else url):
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.5)
    raise RuntimeError(f"{kind} server did not start at {url}")


async def one_run(
    kind: str, peers: int, args: argparse.Namespace, media: EncodedMedia, port: int
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data_dir:
        server = start_server(kind, port, args.server_cpu, data_dir)
        url = f"http://127.0.0.1:{port}"
        try:
            await wait_ready(url, kind)
            idle_rss = rss_mb(server.pid)
            # CPU and RSS while every peer is on: from the end of the ramp (plus the time to
            # connect) to shortly before the first peer leaves.
            window = (args.ramp + 5.0, args.duration - 2.0)
            load = asyncio.create_task(
                run_load(url, peers, args.duration, args.ramp, media, progress=False)
            )
            await asyncio.sleep(window[0])
            cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
            await asyncio.sleep(window[1] - window[0])
            cpu1, t1 = cpu_seconds(server.pid), time.monotonic()
            loaded_rss = rss_mb(server.pid)
            summary, _ = await load
            transcripts = await transcript_metrics(url) if kind.startswith("lens") else {}
        finally:
            # A stopping server drains: sessions still closing finish their reports (and
            # final transcripts) first, which on a saturated core can take a while.
            server.terminate()
            try:
                server.wait(120)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    cpu_per_peer = (cpu1 - cpu0) / (t1 - t0) / peers * 1000
    return {
        "server": kind,
        "peers": peers,
        "failed": summary["failed"],
        "latency_ms": summary["latency_ms"],
        "sent_to_result_ms": summary["sent_to_result_ms"],
        "video_frames": summary["video_frames"],
        "cpu_ms_per_peer_s": round(cpu_per_peer, 1),
        "core_busy": round((cpu1 - cpu0) / (t1 - t0), 3),
        "rss_idle_mb": round(idle_rss, 1),
        "rss_loaded_mb": round(loaded_rss, 1),
        "rss_per_peer_mb": round((loaded_rss - idle_rss) / peers, 1),
        "transcript": transcripts,
    }


async def transcript_metrics(url: str) -> dict[str, float]:
    """The server's transcription figures from ``/metrics`` (empty when it has none): the
    95th percentile of speech-stopped-to-transcript lag, calls, and whether it deferred."""
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
        text = await response.text()
    wanted = {
        "lens_transcript_lag_seconds": "lag_p95_s",
        "lens_transcript_calls_total": "calls",
        'lens_transcript_mode{mode="deferred"}': "deferred",
        "lens_transcript_dropped_seconds_total": "dropped_s",
    }
    found: dict[str, float] = {}
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name in wanted:
            found[wanted[name]] = round(float(value), 3)
    return found


def table(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| server | peers | failed | p50 / p95 / p99 ms | sent to result p50 / p95 ms | frames | "
        "CPU ms per peer-s | core busy | RSS MB (per peer) | transcript lag p95 s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    keys = sorted({(r["server"], r["peers"]) for r in runs})
    for server, peers in keys:
        group = [r for r in runs if (r["server"], r["peers"]) == (server, peers)]

        def med(get: Any, group: list[dict[str, Any]] = group) -> float:
            values = [get(r) for r in group if get(r) is not None]
            return statistics.median(values) if values else float("nan")

        p50, p95, p99 = (med(lambda r, q=q: r["latency_ms"][q]) for q in ("p50", "p95", "p99"))
        e50, e95 = (med(lambda r, q=q: r["sent_to_result_ms"][q]) for q in ("p50", "p95"))
        lines.append(
            f"| {server} | {peers} | {max(r['failed'] for r in group)} | "
            f"{p50:.0f} / {p95:.0f} / {p99:.0f} | {e50:.0f} / {e95:.0f} | "
            f"{med(lambda r: r['video_frames']):.0f} | "
            f"{med(lambda r: r['cpu_ms_per_peer_s']):.0f} | {med(lambda r: r['core_busy']):.2f} | "
            f"{med(lambda r: r['rss_loaded_mb']):.0f} "
            f"({med(lambda r: r['rss_per_peer_mb']):.0f}) | "
            f"{med(lambda r: r.get('transcript', {}).get('lag_p95_s')):.1f} |"
        )
    return "\n".join(lines)


async def study(args: argparse.Namespace) -> list[dict[str, Any]]:
    media = encode(args.width, args.height, args.fps, kbps=args.kbps, ptime=args.ptime or 20)
    runs = []
    port = args.port
    for repeat in range(args.repeat):
        for peers in args.peers:
            for kind in args.servers:
                port += 1
                run = await one_run(kind, peers, args, media, port)
                run["repeat"] = repeat
                print(json.dumps(run), flush=True)
                runs.append(run)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=lambda s: [int(p) for p in s.split(",")], default=[1, 4])
    parser.add_argument("--servers", type=lambda s: s.split(","), default=["lens", "naive"])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--ramp", type=float, default=3.0)
    parser.add_argument("--server-cpu", default="0", help="taskset CPU list ('' = unpinned)")
    parser.add_argument("--port", type=int, default=8300)
    parser.add_argument("--fps", type=int, default=BROWSER_FPS)
    parser.add_argument("--kbps", type=int, default=BROWSER_VIDEO_KBPS)
    parser.add_argument(
        "--ptime", type=int, default=PipelineConfig().audio_ptime, help="ms of Opus per packet"
    )
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--out", type=Path, help="write every run as JSON here")
    args = parser.parse_args()
    runs = asyncio.run(study(args))
    if args.out:
        args.out.write_text(json.dumps(runs, indent=1))
    print(table(runs))


if __name__ == "__main__":
    main()
