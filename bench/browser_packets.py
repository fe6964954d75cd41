"""What a real browser sends: RTP packets per second per track, counted at the server, and the
server's CPU per second of that peer, for each packet time the answer may ask for.

    python -m bench.browser_packets [--ptimes 0,20,40,60] [--profiles 15@600,10@250] [--seconds 30]

Each configuration starts ``server.py`` (pinned to ``--server-cpu``, transcripts off so that only
media and analysis count), opens the demo page in headless Chromium with a fake camera (the
astronaut, 640x480 at 30 fps with sensor noise, more than the page asks for) and a fake microphone
(espeak-ng speech with pauses), starts a session, and measures between 8 s in and the end. The demo
page's ``maxFramerate`` and ``maxBitrate`` are set through its ``?fps=`` and ``?kbps=`` query
parameters. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
import time
from pathlib import Path

import aiohttp
import numpy as np

from analyzers import AUDIO_RATE
from loadtest.capacity import cpu_seconds, start_server, wait_ready
from loadtest.encoded_media import face_frames
from testmedia.sources import phrase, resample, write_wav, write_y4m

CHROMIUM = os.environ.get("LENS_TEST_CHROMIUM", "/usr/bin/chromium")
PACKETS = re.compile(r'^lens_rtp_packets_received_total\{kind="(\w+)"\} ([0-9.e+]+)$', re.M)


def fake_media(folder: Path) -> tuple[Path, Path]:
    """A webcam's frames (with sensor noise, so the encoder spends its budget) and speech."""
    video = write_y4m(folder / "camera.y4m", face_frames(640, 480, 60), fps=30)
    speech = phrase("I led the migration of our payment system last year", folder / "s.wav")
    pause = np.zeros(int(1.5 * AUDIO_RATE), np.float32)
    clip = np.concatenate([speech, pause])
    audio = write_wav(folder / "mic.wav", resample(clip, AUDIO_RATE, 48_000), 48_000)
    return video, audio


async def packets(url: str) -> dict[str, float]:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
        text = await response.text()
    return {kind: float(value) for kind, value in PACKETS.findall(text)}


async def one(
    ptime: int, profile: tuple[int, int], args: argparse.Namespace, media: tuple[Path, Path]
) -> dict[str, float]:
    from playwright.async_api import async_playwright

    url = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory() as data:
        os.environ["LENS_AUDIO_PTIME"] = str(ptime)
        server = start_server("lens-no-transcript", args.port, args.server_cpu, data)
        try:
            await wait_ready(url, "lens")
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=[
                        "--no-sandbox",
                        "--use-fake-ui-for-media-stream",
                        "--use-fake-device-for-media-stream",
                        f"--use-file-for-fake-video-capture={media[0]}",
                        f"--use-file-for-fake-audio-capture={media[1]}",
                    ],
                )
                page = await browser.new_page()
                fps, kbps = profile
                await page.goto(f"{url}/?fps={fps}&kbps={kbps}")
                await page.get_by_role("button", name="Start session").click()
                await asyncio.sleep(8)
                before, cpu0, t0 = await packets(url), cpu_seconds(server.pid), time.monotonic()
                await asyncio.sleep(args.seconds)
                after, cpu1, t1 = await packets(url), cpu_seconds(server.pid), time.monotonic()
                await browser.close()
        finally:
            server.terminate()
            server.wait(60)
    seconds = t1 - t0
    return {
        "audio": (after.get("audio", 0) - before.get("audio", 0)) / seconds,
        "video": (after.get("video", 0) - before.get("video", 0)) / seconds,
        "cpu": (cpu1 - cpu0) / seconds * 1000,
    }


async def study(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as folder:
        media = fake_media(Path(folder))
        print(
            "| a=ptime asked | page sends at most | audio packets/s | video packets/s | "
            "server CPU ms per s |"
        )
        print("|---|---|---|---|---|")
        for _ in range(args.runs):
            for fps, kbps in args.profiles:
                for ptime in args.ptimes:
                    got = await one(ptime, (fps, kbps), args, media)
                    print(
                        f"| {ptime or 'none'} | {fps} fps, {kbps} kbit/s | {got['audio']:.1f} | "
                        f"{got['video']:.1f} | "
                        f"{got['cpu']:.0f} |",
                        flush=True,
                    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ptimes", type=lambda s: [int(p) for p in s.split(",")], default=[0, 60])
    parser.add_argument(
        "--profiles",
        type=lambda s: [tuple(int(x) for x in p.split("@")) for p in s.split(",")],
        default=[(15, 600), (10, 250)],
        help="FPS@KBPS,... what the page asks the browser to send",
    )
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--port", type=int, default=8310)
    asyncio.run(study(parser.parse_args()))


if __name__ == "__main__":
    main()
