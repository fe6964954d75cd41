"""An interview end to end: a real aiortc client creates an interview session, hears each
question on the interviewer's audio track (checked by Lens's own speech recogniser), answers it
with espeak-ng speech and falls silent, so that the answer ends when the end-of-turn model and
the silence say so; the feedback, the next question (by itself, or asked for by index) and the
report by question follow. The interviewer's voice played back into the microphone is never
taken for speech; the person talking over it stops it."""

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
            assert ended["reason"] in ("complete", "silence"), f"should end on its own: {ended}"
            feedback = await peer.wait_for(
                _is("answer.feedback", index), 30, f"feedback on answer {index}"
            )
            assert feedback["figures"]["words"] >= 10, feedback
            assert feedback["cues"] is not None and feedback["complete"], feedback
            peer.send({"type": "question.next", "index": index})
            peer.send({"type": "question.next", "index": index})  # a repeated click
            await peer.wait_for(
                lambda m: m["type"] == "error" and m["code"] == "not_now", 10, "the repeat refused"
            )
        phases = [(m["index"], m["phase"]) for m in peer.of_type("interview.phase")]
        for index in (0, 1):
            seen = [p for i, p in phases if i == index]
            assert seen[:1] == ["asking"] and "thinking" in seen and "answering" in seen, phases
            assert seen[-1] == "answered" or (index == 1 and seen[-1] == "finished"), phases
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
    assert all(
        a["reason"] in ("complete", "silence") and a["text"] for a in interview["answers"]
    ), interview
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
        ({"questions": ["\ud800 Q?"]}, "not valid Unicode text"),
        (
            {"questions": [{"id": "a", "text": "One?"}, {"id": "a", "text": "Two?"}]},
            "names an id more than once: a",
        ),
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
    default = await start_server(transcript=True)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{default.url}/api/interview/roles") as response:
            assert (await response.json())["spoken"] == ["en", "zh"], (
                "pins: Chinese needed LENS_ASR_MODEL=base; by default a Mandarin session gets it"
            )
    server = await start_server(transcript=True, asr_model_zh="")  # tiny.en alone: English
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/api/interview/roles") as response:
            body = await response.json()
    assert response.status == 200
    roles = {r["role"]: r for r in body["languages"]["en"]}
    assert roles["software_engineer"]["title"] == "Software engineer"
    assert sum(r["questions"] for r in body["languages"]["zh"]) >= 25
    assert body["voice"] is True and body["llm"] is False
    assert body["spoken"] == ["en"], "tiny.en alone transcribes no Chinese interview"
    async with aiohttp.ClientSession() as http:
        created = {"interview": {"language": "zh"}}
        async with http.post(f"{server.url}/api/sessions", json=created) as response:
            refused = await response.json()
    assert response.status == 400, "pins: a Chinese interview was accepted where it cannot be heard"
    assert "Mandarin speech model" in refused["error"]["message"], refused


def _short_answer(folder: Path) -> np.ndarray:
    """ "I would just write some unit tests." (about 2 s), for the client's microphone."""
    spoken = phrase("I would just write some unit tests.", folder / "short.wav")
    return resample(spoken, AUDIO_RATE, AUDIO_SEND_RATE)


async def _interview(server_url: str, body: dict[str, Any], mic: AnswerTrack) -> ClientPeer:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server_url}/api/sessions", json=body) as response:
            created = await response.json()
            assert response.status == 201, created
    peer = ClientPeer(
        server_url, [StillsTrack([place(astronaut())]), mic], session_id=created["session_id"]
    )
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    return peer


async def test_the_voice_echoed_into_the_microphone_is_not_speech_but_talking_over_it_is(
    start_server: StartServer, tmp_path: Path
) -> None:
    """The interviewer's voice comes back into the microphone (a loudspeaker, no echo
    canceller): no speech is heard while it plays. Then the person talks over the next
    question: the voice stops (barge-in) and their answer starts."""
    server = await start_server(interview_think_seconds=30.0)
    long = "Tell me about a project you are proud of, what you did in it and why it mattered."
    body = {"interview": {"questions": [long, long]}}
    mic = AnswerTrack()
    peer = await _interview(server.url, body, mic)
    mic.hear_back(peer.heard, gain=0.3)
    said = resample(phrase(ANSWERS[1], tmp_path / "over.wav"), AUDIO_RATE, AUDIO_SEND_RATE)
    try:
        question = await peer.wait_for(_is("question", 0), 30, "the question")
        spoken = question["speaking_seconds"]
        assert spoken > 3.0, question
        await asyncio.sleep(spoken + 1.5)
        heard = peer.of_type("speech.started") + peer.of_type("answer.started")
        assert heard == [], f"the voice's own echo was taken as speech: {heard}"
        peer.send({"type": "question.next", "index": 0})
        question = await peer.wait_for(_is("question", 1), 30, "the second question")
        await asyncio.sleep(1.5)  # into the question
        heard_before = len(peer.heard)
        mic.say(said)
        started = await peer.wait_for(_is("answer.started", 1), 10, "the answer over the voice")
        assert started["index"] == 1
        quiet = await _played(peer, heard_before, timeout=10.0)
        played = (quiet - heard_before) * 0.02
        assert played < question["speaking_seconds"] - 1.5, (
            f"the voice should stop when talked over; it played {played:.1f} s more of "
            f"{question['speaking_seconds']} s"
        )
    finally:
        await peer.close()


async def test_a_one_sentence_answer_ends_and_the_next_question_comes_by_itself(
    start_server: StartServer, tmp_path: Path
) -> None:
    """ "I would just write some unit tests." (2 s) once never ended: an answer needed 3 s of
    speech before a silence could end it, and the interviewer waited for a click."""
    server = await start_server(transcript=True, interview_think_seconds=20.0)
    body = {
        "transcript": True,
        "interview": {"questions": ["How would you test it?", "Why?"], "auto_advance_seconds": 1},
    }
    mic = AnswerTrack()
    peer = await _interview(server.url, body, mic)
    short = _short_answer(tmp_path)
    try:
        await peer.wait_for(_is("question", 0), 30, "the question")
        await _played(peer, 0)
        mic.say(short)
        ended = await peer.wait_for(_is("answer.ended", 0), 15, "the short answer's end")
        assert ended["reason"] in ("complete", "silence") and ended["duration"] < 4.0, ended
        feedback = await peer.wait_for(_is("answer.feedback", 0), 15, "its feedback")
        assert feedback["figures"]["words"] >= 5, feedback
        question = await peer.wait_for(_is("question", 1), 20, "the next question, by itself")
        assert question["attempt"] == 1
    finally:
        await peer.close()


async def test_a_page_that_comes_back_continues_the_same_interview(
    start_server: StartServer, tmp_path: Path
) -> None:
    """A reload mid-interview once lost it: the page came back blank and the server ended the
    session. Now the session waits for the page; a new peer connection into the same session is
    told the question it is at, and the interview and its report go on as one."""
    server = await start_server(transcript=True, interview_think_seconds=20.0)
    body = {"transcript": True, "interview": {"questions": ["How would you test it?", "Why?"]}}
    first_mic = AnswerTrack()
    first = await _interview(server.url, body, first_mic)
    said = _short_answer(tmp_path)
    try:
        await first.wait_for(_is("question", 0), 30, "the first question")
        await _played(first, 0)
        first_mic.say(said)
        await first.wait_for(_is("answer.feedback", 0), 30, "the first answer's feedback")
    finally:
        await first.close()  # the page reloads: its peer connection goes
    await asyncio.sleep(1.0)
    live = server.registry.get(first.session_id or "")
    assert live is not None, "the interview waits for its page to come back"
    second_mic = AnswerTrack()
    second = ClientPeer(
        server.url,
        [StillsTrack([place(astronaut())]), second_mic],
        session_id=first.session_id,
    )
    async with aiohttp.ClientSession() as http:
        await second.connect(http)
    try:
        question = await second.wait_for(_is("question", 0), 20, "where the interview is")
        phase = await second.wait_for(_is("interview.phase", 0), 10, "its phase")
        assert phase["phase"] == "answered", phase
        assert question["text"] == "How would you test it?"
        await second.wait_for(_is("answer.feedback", 0), 10, "that answer's feedback again")
        second.send({"type": "question.next", "index": 0})
        await second.wait_for(_is("question", 1), 20, "the next question")
        await _played(second, 0)
        second_mic.say(said)
        await second.wait_for(_is("answer.feedback", 1), 30, "the second answer's feedback")
        second.send({"type": "end"})
        await second.wait_for(lambda m: m["type"] == "session.closed", 30, "the end")
    finally:
        await second.close()
    async with aiohttp.ClientSession() as http:
        url = f"{server.url}/api/sessions/{first.session_id}/report"
        async with http.get(url) as response:
            report = await response.json()
    answers = report["interview"]["answers"]
    assert [a["reason"] for a in answers] != [] and len(answers) == 2, answers
    assert all("unit tests" in a["text"].lower() for a in answers), answers


async def test_an_interview_whose_page_never_comes_back_ends_with_its_report(
    start_server: StartServer,
) -> None:
    server = await start_server(reconnect_grace=1.0)
    body = {"interview": {"questions": ["Why?"]}}
    peer = await _interview(server.url, body, AnswerTrack())
    await peer.wait_for(_is("question", 0), 30, "the question")
    await peer.close()
    session_id = peer.session_id or ""
    for _ in range(100):
        if server.registry.get(session_id) is None:
            break
        await asyncio.sleep(0.1)
    assert server.registry.get(session_id) is None, "ended after the grace"
    async with aiohttp.ClientSession() as http:
        url = f"{server.url}/api/sessions/{session_id}/report"
        async with http.get(url) as response:
            report = await response.json()
            assert response.status == 200, report
    assert report["end_reason"] in ("channel_closed", "connection_closed"), report["end_reason"]
