"""What recording costs: server CPU per peer-second with the sessions recorded and not, in one
run (alternating), and the bytes a minute of recording takes:
``taskset -c 1 python -m bench.recording`` (the server on core 0)."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from loadtest.capacity import cpu_seconds, start_server, wait_ready
from loadtest.encoded_media import encode
from loadtest.run import run_load


async def one(record: bool, args: argparse.Namespace) -> tuple[float, float | None]:
    """CPU ms per peer-second, and recorded bytes per minute (``None`` unrecorded)."""
    os.environ.update(LENS_RECORDING="allowed", LENS_TRANSCRIPT="false")
    media = encode(fps=args.fps)
    with tempfile.TemporaryDirectory() as data_dir:
        server = start_server("lens", args.port, args.server_cpu, data_dir)
        url = f"http://127.0.0.1:{args.port}"
        try:
            await wait_ready(url, "lens")
            load = asyncio.create_task(
                run_load(
                    url,
                    args.peers,
                    args.duration,
                    2.0,
                    media,
                    progress=False,
                    options={"record": record},
                )
            )
            await asyncio.sleep(7.0)
            cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
            await asyncio.sleep(args.duration - 9.0)
            cpu1, t1 = cpu_seconds(server.pid), time.monotonic()
            summary, _ = await load
            assert summary["failed"] == 0, summary
            await asyncio.sleep(2.0)
        finally:
            server.terminate()
            server.wait(120)
        files = list((Path(data_dir) / "recordings").glob("*.webm"))
        per_minute = (
            statistics.median(f.stat().st_size for f in files) / (args.duration / 60)
            if files
            else None
        )
    return (cpu1 - cpu0) / (t1 - t0) / args.peers * 1000, per_minute


async def study(args: argparse.Namespace) -> None:
    cpu: dict[bool, list[float]] = {False: [], True: []}
    sizes: list[float] = []
    for _ in range(args.runs):
        for record in (False, True):
            ms, per_minute = await one(record, args)
            cpu[record].append(ms)
            if per_minute is not None:
                sizes.append(per_minute)
            print(f"record={record}: {ms:.1f} ms CPU per peer-second", flush=True)
    off, on = statistics.median(cpu[False]), statistics.median(cpu[True])
    print(
        f"{args.peers} peers, {args.duration:g} s, medians of {args.runs}: analysed {off:.1f}, "
        f"analysed and recorded {on:.1f} ms CPU per peer-second: recording adds "
        f"{on - off:.1f} ({(on - off) / off:.0%} of an analysed peer); "
        f"{statistics.median(sizes) / 1e6:.2f} MB per minute of recording"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=int, default=4)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--port", type=int, default=8410)
    parser.add_argument("--server-cpu", default="0")
    asyncio.run(study(parser.parse_args()))


if __name__ == "__main__":
    main()
