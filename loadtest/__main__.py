"""Load test: ``python -m loadtest --url http://127.0.0.1:8080 --peers 10 --duration 60 --ramp 10``.

Headless aiortc peers play a real face (VP8) and speech (Opus), encoded once and replayed by
every peer, against a running server; prints a summary, and writes it with ``--json`` and a
chart with ``--plot``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from pathlib import Path

from loadtest.encoded_media import BROWSER_FPS, BROWSER_VIDEO_KBPS, encode
from loadtest.run import PeerResult, run_load
from webrtc.runtime.config import PipelineConfig


def plot(results: list[PeerResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    latencies = [v for r in results for v in r.latencies_ms]
    arrivals = sorted(t for r in results for t, _ in r.messages)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.hist(latencies, bins=40, color="#2f6fed")
    left.set(title="Frame to result", xlabel="ms", ylabel="frames")
    if arrivals:
        seconds = [int(t - arrivals[0]) for t in arrivals]
        counts = [seconds.count(s) for s in range(seconds[-1] + 1)]
        right.plot(range(len(counts)), counts, color="#1f8a4c")
    right.set(title="Messages per second", xlabel="s", ylabel="messages")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--peers", type=int, default=4)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds each peer stays")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds to start all peers")
    parser.add_argument("--fps", type=int, default=BROWSER_FPS)
    parser.add_argument("--kbps", type=int, default=BROWSER_VIDEO_KBPS)
    parser.add_argument(
        "--ptime", type=int, default=PipelineConfig().audio_ptime, help="ms of Opus per packet"
    )
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--api-key", help="when the server has auth on")
    parser.add_argument("--json", type=Path, help="write the summary here")
    parser.add_argument("--plot", type=Path, help="write a PNG chart here")
    args = parser.parse_args()
    for noisy in ("aioice", "aiortc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    media = encode(args.width, args.height, args.fps, kbps=args.kbps, ptime=args.ptime or 20)
    summary, results = asyncio.run(
        run_load(args.url, args.peers, args.duration, args.ramp, media, args.api_key)
    )
    print(json.dumps(summary, indent=1))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
