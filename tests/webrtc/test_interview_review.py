"""The language-model path against a real local model: SmolLM2-135M-Instruct served by
llama-cpp-python's OpenAI-compatible server. The client on its own, then an interview whose
answer is reviewed, with the follow-up asked as the next question."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from analyzers import AUDIO_RATE
from loadtest.peer import AUDIO_SEND_RATE, AnswerTrack, ClientPeer, StillsTrack
from signaling.services.language_model import LanguageModel
from testmedia.language_model import LLM_VENV, model_path, server_command
from tests.conftest import StartServer
from tests.media import astronaut, missing, phrase, place, resample
from tests.redis_server import free_port
from webrtc.runtime.answer_review import ReviewRequest, prompt

ANSWER = (
    "At my last job our build took forty minutes. I was responsible for the tests, so I split "
    "them across eight machines, and as a result we reduced it to six minutes."
)


@pytest.fixture
async def language_model() -> AsyncIterator[str]:
    """The model's base URL (``…/v1``) while its server runs."""
    if not (LLM_VENV / "bin" / "python").exists():
        missing(f"llama-cpp-python's server is not installed in {LLM_VENV} (make setup)")
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"llm-{port}.log"
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *server_command(model_path(), port), stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                try:
                    async with http.get(f"{url}/models") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                if process.returncode is not None:
                    raise AssertionError(f"the model server stopped: {log.read_text()[-2000:]}")
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"the model server never answered: {log.read_text()[-2000:]}")
        yield url
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


def test_only_the_question_and_the_answer_are_sent() -> None:
    request = ReviewRequest("Why this job?", "Because I like it.", "en")
    messages = prompt(request)
    user = messages[-1]["content"]
    assert user == "Question: Why this job?\nAnswer: Because I like it."
    assert [m["role"] for m in messages] == ["system", "user"]


async def test_a_real_model_reviews_an_answer(language_model: str) -> None:
    model = LanguageModel(language_model, "smollm2", timeout=60)
    try:
        review = await model.review(
            ReviewRequest("Tell me about a project you are proud of.", ANSWER, "en")
        )
    finally:
        await model.close()
    assert review is not None, f"no review: asked {model.asked}, failed {model.failed}"
    assert 10 <= len(review.feedback) <= 600, review
    assert review.follow_up is None or review.follow_up.endswith("?"), review
    assert model.answered == 1 and model.failed == 0


async def test_a_model_that_is_not_there_costs_only_the_review() -> None:
    model = LanguageModel(f"http://127.0.0.1:{free_port()}/v1", "none", timeout=5)
    try:
        review = await model.review(ReviewRequest("Q?", "A.", "en"))
    finally:
        await model.close()
    assert review is None and model.failed == 1


async def test_an_interview_answer_is_reviewed_and_its_follow_up_asked(
    start_server: StartServer, language_model: str, tmp_path: Path
) -> None:
    server = await start_server(transcript=True, llm_url=language_model, llm_timeout=60)
    body = {
        "transcript": True,
        "interview": {"questions": ["Tell me about a project you are proud of."], "llm": True},
    }
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/api/sessions", json=body) as response:
            created = await response.json()
            assert response.status == 201, created
    mic = AnswerTrack()
    peer = ClientPeer(
        server.url, [StillsTrack([place(astronaut())]), mic], session_id=created["session_id"]
    )
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    try:
        await peer.wait_for(lambda m: m["type"] == "question", 30, "the question")
        await asyncio.sleep(4.0)  # the question plays
        mic.say(resample(phrase(ANSWER, tmp_path / "a.wav"), AUDIO_RATE, AUDIO_SEND_RATE))
        await peer.wait_for(lambda m: m["type"] == "answer.feedback", 60, "the feedback")
        comment = await peer.wait_for(lambda m: m["type"] == "answer.comment", 90, "a review")
        assert comment["index"] == 0 and comment["text"], comment
        writing = [m for m in peer.of_type("answer.reviewing") if m["index"] == 0]
        assert writing and writing[0]["t"] <= comment["t"], "the review streams in before it ends"
        assert peer.messages.index(writing[0]) < peer.messages.index(comment)
        assert comment["advice_by"] in ("model", "rules"), comment
        if comment["advice_by"] == "rules":
            assert comment["advice"] is None and comment["rejected"], comment
        peer.send({"type": "question.next"})
        if comment["asked"]:
            follow = await peer.wait_for(
                lambda m: m["type"] == "question" and m["index"] == 1, 20, "the follow-up"
            )
            assert follow["text"] == comment["follow_up"] and follow["of"] == 2, follow
            peer.send({"type": "question.next"})
        await peer.wait_for(lambda m: m["type"] == "interview.finished", 20, "the end")
        peer.send({"type": "end"})
        await peer.wait_for(lambda m: m["type"] == "session.closed", 30, "the session's end")
    finally:
        await peer.close()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/api/sessions/{peer.session_id}/report") as response:
            report = await response.json()
    assert report["interview"]["answers"][0]["feedback"] == comment["text"]


async def test_asking_for_a_review_without_a_model_is_a_400(start_server: StartServer) -> None:
    server = await start_server()
    body = {"interview": {"llm": True}}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.url}/api/sessions", json=body) as response:
            answer = await response.json()
    assert response.status == 400 and "LENS_LLM_URL" in answer["error"]["message"], answer


async def test_a_model_that_drips_frees_its_worker_at_the_timeout() -> None:
    """Pins: a model that sent one byte every 2 s kept the one ``lens-llm`` thread past
    ``LENS_LLM_TIMEOUT``, so the next reviews failed with a healthy model."""
    asked = 0

    async def chat(request: web.Request) -> web.StreamResponse:
        nonlocal asked
        asked += 1
        if asked == 1:  # the first reply drips, forever
            response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
            await response.prepare(request)
            with contextlib.suppress(ConnectionError):
                for _ in range(60):
                    await response.write(b"d")
                    await asyncio.sleep(0.5)
            return response
        reply = "Good: A clear story || dropped by half\nFollow-up: What came next?"
        return web.json_response({"choices": [{"message": {"content": reply}}]})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    model = LanguageModel(f"http://127.0.0.1:{port}/v1", "m", timeout=2, workers=1)
    try:
        started = asyncio.get_running_loop().time()
        assert await model.review(ReviewRequest("Q?", "A.", "en")) is None
        assert asyncio.get_running_loop().time() - started < 5, "given up at the timeout"
        review = await model.review(ReviewRequest("Q?", "A.", "en"))
        assert review is not None and review.follow_up == "What came next?", (
            "the one worker thread was freed for the next review"
        )
    finally:
        await model.close()
        await runner.cleanup()
