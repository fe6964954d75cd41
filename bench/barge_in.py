"""How soon the interviewer's voice stops when the person talks over it, with the voice played
back into the microphone (a loudspeaker, no echo canceller): ``python -m bench.barge_in``.

The server runs in-process; an aiortc client answers each of ``--questions`` questions by
talking ``--into`` seconds into its voice (espeak-ng speech), while everything it hears comes
back into its microphone at ``--echo`` gain. For each question: how much of the voice the client
still received after it started talking (20 ms frames louder than the voice's quietest words),
and whether the echo alone was ever taken for speech before it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from aiohttp import web

from analyzers import AUDIO_RATE
from loadtest.peer import AUDIO_SEND_RATE, AnswerTrack, ClientPeer, StillsTrack
from signaling.http.app import create_app
from signaling.settings import Settings
from testmedia.sources import astronaut, phrase, place, resample

QUESTION = "Tell me about a project you are proud of, what you did in it, and why it mattered."
LOUD = 1000
"""A received frame with a sample past this is the voice (int16)."""


def _is(kind: str, index: int) -> Callable[[dict[str, Any]], bool]:
    return lambda m: bool(m["type"] == kind and m["index"] == index)


async def measure(questions: int, into: float, echo: float) -> tuple[list[float], int]:
    settings = Settings(port=0, interview_think_seconds=30.0, transcript=False)
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    with tempfile.TemporaryDirectory() as tmp:
        said = resample(
            phrase("I led the rewrite of our billing system.", Path(tmp) / "a.wav"),
            AUDIO_RATE,
            AUDIO_SEND_RATE,
        )
    body = {"interview": {"questions": [QUESTION] * questions}}
    mic = AnswerTrack()
    played_after: list[float] = []
    false_starts = 0
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/api/sessions", json=body) as response:
                created = await response.json()
            peer = ClientPeer(
                url, [StillsTrack([place(astronaut())]), mic], session_id=created["session_id"]
            )
            await peer.connect(http)
        mic.hear_back(peer.heard, gain=echo)
        try:
            for index in range(questions):
                await peer.wait_for(_is("question", index), 30)
                await asyncio.sleep(into)
                false_starts += sum(
                    1 for m in peer.of_type("answer.started") if m["index"] == index
                )
                before = len(peer.heard)
                mic.say(said)
                await peer.wait_for(_is("answer.ended", index), 30)
                frames = peer.heard[before:]
                loud = [i for i, f in enumerate(frames) if np.abs(f).max(initial=0) > LOUD]
                played_after.append((loud[-1] + 1) * 0.02 if loud else 0.0)
                peer.send({"type": "question.next", "index": index})
        finally:
            await peer.close()
    finally:
        await runner.cleanup()
    return played_after, false_starts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--into", type=float, default=1.5)
    parser.add_argument("--echo", type=float, default=0.3)
    args = parser.parse_args()
    for noisy in ("aioice", "aiortc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    played, false_starts = asyncio.run(measure(args.questions, args.into, args.echo))
    ms = [p * 1000 for p in played]
    print(
        f"voice received after talking over it: median {statistics.median(ms):.0f} ms, "
        f"max {max(ms):.0f} ms, over {len(ms)} questions (echo gain {args.echo}); "
        f"answers started by the echo alone: {false_starts}"
    )


if __name__ == "__main__":
    main()
