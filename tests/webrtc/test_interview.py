"""An interview end to end: a real aiortc client creates an interview session, hears each
question on the interviewer's audio track (checked by Lens's own speech recogniser), answers it
with espeak-ng speech and falls silent, so that the answer ends by voice activity; the
feedback, the next question and the report by question follow."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest

from analyzers import AUDIO_RATE
from analyzers.words.recognition import SpeechClip, WhisperRecognizer, transcribe
from loadtest.peer import AUDIO_SEND_RATE, AnswerTrack, ClientPeer, StillsTrack
from modelfiles.registry import ASR_MODELS, ModelRegistry
from signaling.settings import Settings
from tests.conftest import StartServer
from tests.media import astronaut, phrase, place, resample

QUESTIONS: list[Any] = [
    {
        "text": "Tell me about a project you are proud of.",
        "seconds": 60,
        "covers": ["the problem", "the result"],
    },
    "Why do you want this job?",
]
ANSWERS = [
    "At my last job our build took forty minutes. I was responsible for the tests. "
    "So I split them across eight machines, and as a result we reduced it to six minutes.",
    "I like building tools that people use every day, and your team does exactly that.",
]


async def _played(peer: ClientPeer, after: int, timeout: float = 20.0) -> int:
    """Wait until the interviewer has spoken and gone quiet again (on the received track);
    the index of the frame where it went quiet."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    spoke = False
    while loop.time() < deadline:
        frames = peer.heard[after:]
        loud = [i for i, f in enumerate(frames) if np.abs(f).max(initial=0) > 1000]
        spoke = spoke or bool(loud)
        if loud and len(frames) - loud[-1] > 40:  # 0.8 s of quiet after the voice
            return after + len(frames)
        await asyncio.sleep(0.1)
    raise AssertionError(f"the interviewer {'never went quiet' if spoke else 'was never heard'}")


def _is(kind: str, index: int) -> Callable[[dict[str, Any]], bool]:
    return lambda m: bool(m["type"] == kind and m["index"] == index)


def _heard(peer: ClientPeer, start: int, end: int) -> np.ndarray:
    pcm = np.concatenate(peer.heard[start:end]).astype(np.float32) / 32768.0
    return resample(pcm, AUDIO_SEND_RATE, AUDIO_RATE)


async def test_an_interview_is_heard_answered_and_reported(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = await start_server(transcript=True, interview_think_seconds=10.0)
    body = {"transcript": True, "interview": {"questions": QUESTIONS, "answer_seconds": 60}}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/api/sessions", json=body) as response:
            created = await response.json()
            assert response.status == 201, created
    answers = [
        resample(phrase(text, tmp_path / f"a{i}.wav"), AUDIO_RATE, AUDIO_SEND_RATE)
        for i, text in enumerate(ANSWERS)
    ]
    mic = AnswerTrack()
    peer = ClientPeer(
        server.url, [StillsTrack([place(astronaut())]), mic], session_id=created["session_id"]
    )
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    recognizer = WhisperRecognizer(
        ModelRegistry(Settings().model_dir).bundle(ASR_MODELS[Settings().asr_model])
    )
    try:
        heard_from = 0
        for index, said in enumerate(answers):
            question = await peer.wait_for(_is("question", index), 30, f"question {index}")
            assert question["of"] == 2 and question["voice"] is True, question
            quiet = await _played(peer, heard_from)
            if index == 0:
                samples = _heard(peer, heard_from, quiet)
                clip = SpeechClip(0.0, samples.size / AUDIO_RATE, samples)
                words = " ".join(u.text for u in transcribe(recognizer, [clip], "en")).lower()
                assert "project" in words and "proud" in words, (
                    f"the interviewer's track should say {question['text']!r}; heard {words!r}"
                )
            heard_from = quiet
            mic.say(said)
            await peer.wait_for(_is("answer.started", index), 20, f"answer {index} started")
            ended = await peer.wait_for(_is("answer.ended", index), 40, f"answer {index} ended")
            assert ended["reason"] == "silence", f"the answer should end by silence: {ended}"
            feedback = await peer.wait_for(
                _is("answer.feedback", index), 30, f"feedback on answer {index}"
            )
            assert feedback["figures"]["words"] >= 10, feedback
            assert feedback["cues"] is not None, feedback
            peer.send({"type": "question.next"})
        finished = await peer.wait_for(lambda m: m["type"] == "interview.finished", 10, "the end")
        assert finished["answered"] == 2
        first = next(m for m in peer.of_type("answer.feedback") if m["index"] == 0)
        assert first["cues"]["star"]["result"] and first["cues"]["numbers"] >= 1, first["cues"]
        peer.send({"type": "end"})
        await peer.wait_for(lambda m: m["type"] == "session.closed", 30, "the session's end")
    finally:
        await peer.close()
    async with aiohttp.ClientSession() as http:
        url = f"{server.url}/api/sessions/{peer.session_id}/report"
        async with http.get(url) as response:
            report = await response.json()
    interview = report["interview"]
    assert [a["question"]["text"] for a in interview["answers"]] == [
        QUESTIONS[0]["text"],
        QUESTIONS[1],
    ]
    assert all(a["reason"] == "silence" and a["text"] for a in interview["answers"]), interview
    assert (
        "forty" in interview["answers"][0]["text"].lower()
        or "40" in interview["answers"][0]["text"]
    ), interview["answers"][0]["text"]
    assert set(interview["verdict"]) == {"strengths", "work_on"}


@pytest.mark.parametrize(
    ("interview", "expected"),
    [
        ("yes", "'interview' must be an object"),
        ({"count": 0}, "'interview.count'"),
        ({"role": "astronaut"}, "no question set for role 'astronaut'"),
        ({"language": "fr"}, "'interview.language'"),
        ({"questions": []}, "'interview.questions'"),
        ({"questions": [{"text": ""}]}, "interview.questions[0].text"),
        ({"questions": ["ok"], "think_seconds": -1}, "'interview.think_seconds'"),
        ({"wat": 1}, "unknown interview field(s): wat"),
    ],
)
async def test_bad_interview_bodies_get_a_clear_400(
    start_server: StartServer, interview: Any, expected: str
) -> None:
    server = await start_server()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/api/sessions", json={"interview": interview}) as r:
            body = await r.json()
    assert r.status == 400, body
    assert expected in body["error"]["message"], f"expected {expected!r} in {body}"


async def test_the_roles_a_page_can_offer(start_server: StartServer) -> None:
    server = await start_server(transcript=True)  # tiny.en: English only
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/api/interview/roles") as response:
            body = await response.json()
    assert response.status == 200
    roles = {r["role"]: r for r in body["languages"]["en"]}
    assert roles["software_engineer"]["title"] == "Software engineer"
    assert sum(r["questions"] for r in body["languages"]["zh"]) >= 25
    assert body["voice"] is True and body["llm"] is False
    assert body["spoken"] == ["en"], "tiny.en transcribes no Chinese interview"


async def test_talking_over_the_question_is_not_the_answer(
    start_server: StartServer, tmp_path: Path
) -> None:
    """The microphone speaks while the interviewer asks: no speech is heard, no answer starts,
    until the question is over."""
    server = await start_server(interview_think_seconds=30.0)
    body = {"interview": {"questions": ["Tell me about a project you are proud of and why."]}}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/api/sessions", json=body) as response:
            created = await response.json()
    mic = AnswerTrack()
    over = resample(phrase(ANSWERS[1], tmp_path / "over.wav"), AUDIO_RATE, AUDIO_SEND_RATE)
    peer = ClientPeer(
        server.url, [StillsTrack([place(astronaut())]), mic], session_id=created["session_id"]
    )
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    try:
        question = await peer.wait_for(_is("question", 0), 30, "the question")
        spoken = question["speaking_seconds"]
        assert spoken > 1.5, question
        mic.say(over[: int(AUDIO_SEND_RATE * (spoken - 0.5))])  # over the question only
        await asyncio.sleep(spoken + 2.0)
        heard = peer.of_type("speech.started") + peer.of_type("answer.started")
        assert heard == [], f"talk over the question was taken as speech: {heard}"
        mic.say(over)  # after it: an answer
        await peer.wait_for(_is("answer.started", 0), 20, "the answer after the question")
    finally:
        await peer.close()
