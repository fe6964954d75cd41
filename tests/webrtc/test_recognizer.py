"""Speech recognition beyond the worker: Lens's own recogniser process speaking OpenAI's
``/v1/audio/transcriptions`` (the API vLLM, speaches and others serve), the client that falls
back on the local model, batched decoding that keeps each utterance's words, and a live
session transcribed through the recogniser."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
import numpy as np
import pytest

from analyzers import AUDIO_RATE
from analyzers.words.batching import Rendezvous, priority
from analyzers.words.recognition import SpeechClip, WhisperRecognizer
from bench.asr_real import listen
from loadtest.peer import AUDIO_SEND_RATE, ClientPeer, SamplesTrack, StillsTrack
from modelfiles.registry import ASR_MODELS, ModelRegistry
from signaling.http.connections import free_loopback_port
from testmedia import mfa
from tests.conftest import StartServer
from tests.media import astronaut, phrase, place, resample
from tests.processes import ServerProcess
from webrtc.recognition.client import RemoteRecognizer
from webrtc.recognition.wire import wav

pytestmark = pytest.mark.real_media


def timed_words(recognition: object) -> list[tuple[str, float, float]]:
    words = getattr(recognition, "words", ())
    return [(w.word, round(w.start, 2), round(w.end, 2)) for w in words]


@pytest.fixture(scope="module")
def real_clips() -> list[SpeechClip]:
    """Utterances of real people (MFA's conversational clips), cut as a live session cuts."""
    conversations = list(mfa.conversation_clips(ModelRegistry()).values())[:3]
    return [clip for samples in conversations for clip in listen(samples).clips][:5]


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return ModelRegistry().bundle(ASR_MODELS["tiny.en"])


@pytest.fixture
async def recognizer_process(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    process = ServerProcess(tmp_path / "recognizer", "recognizer", env={"LENS_TRANSCRIPT": "true"})
    await process.start()
    yield process
    await process.stop()


async def test_the_recogniser_answers_as_openai_does_with_the_local_words(
    recognizer_process: ServerProcess, real_clips: list[SpeechClip], model_dir: Path
) -> None:
    """``python server.py recognizer`` answers OpenAI's request form (``verbose_json``, word
    timestamps), and a worker's client gets, for every real utterance, the words and times the
    local model gives; what it cannot read is refused."""
    url = recognizer_process.url
    form = aiohttp.FormData()
    form.add_field("model", "whisper-1")
    form.add_field("response_format", "verbose_json")
    form.add_field("timestamp_granularities[]", "word")
    form.add_field("file", wav(real_clips[0].samples), filename="a.wav", content_type="audio/wav")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/v1/audio/transcriptions", data=form) as response:
            answer = await response.json()
            assert response.status == 200, answer
    assert answer["text"] and answer["language"] == "en", answer
    assert all({"word", "start", "end"} <= set(w) for w in answer["words"]), answer["words"][:3]
    local = WhisperRecognizer(model_dir)
    remote = RemoteRecognizer(f"{url}/v1", "tiny.en", timeout=60, fallback=lambda: local)
    for clip in real_clips:
        heard = await asyncio.to_thread(remote.recognize, clip.samples, "en")
        alone = await asyncio.to_thread(local.recognize, clip.samples, "en")
        assert timed_words(heard) == timed_words(alone), (timed_words(heard), timed_words(alone))
    assert remote.failures == 0 and remote.calls == len(real_clips)
    await refuses_what_it_cannot_read(url)


async def refuses_what_it_cannot_read(url: str) -> None:
    """Not a WAV, not 16 kHz, over 30 s, no file, a language it does not hold: each a 400 in
    OpenAI's error form, and the recogniser goes on."""
    too_long = wav(np.zeros(31 * AUDIO_RATE, np.float32))
    cases: dict[str, dict[str, object]] = {
        "not a wav": {"file": b"these are not samples"},
        "over 30 s": {"file": too_long},
        "no file": {"model": "whisper-1"},
        "a language": {"file": wav(np.zeros(AUDIO_RATE, np.float32)), "language": "fr"},
    }
    async with aiohttp.ClientSession() as http:
        for name, fields in cases.items():
            form = aiohttp.FormData()
            for key, value in fields.items():
                form.add_field(key, value, filename="a.wav" if key == "file" else None)
            async with http.post(f"{url}/v1/audio/transcriptions", data=form) as response:
                answer = await response.json()
            assert response.status == 400, (name, answer)
            assert answer["error"]["type"] == "invalid_request_error", (name, answer)
        async with http.get(f"{url}/health") as response:
            assert response.status == 200


async def test_a_recogniser_that_fails_costs_only_time(
    real_clips: list[SpeechClip], model_dir: Path
) -> None:
    """Nothing listening, or a server that answers garbage: the local model answers, with the
    same words, the failures are counted, and the server is left alone for a while after."""
    from aiohttp import web

    asked: list[int] = []

    async def garbage(request: web.Request) -> web.Response:
        await request.read()
        asked.append(1)
        return web.Response(text="<html>not json</html>", content_type="text/html")

    app = web.Application(client_max_size=8 << 20)
    app.router.add_post("/v1/audio/transcriptions", garbage)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_loopback_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    local = WhisperRecognizer(model_dir)
    clip = real_clips[0]
    alone = timed_words(await asyncio.to_thread(local.recognize, clip.samples, "en"))
    try:
        for url in (f"http://127.0.0.1:{free_loopback_port()}/v1", f"http://127.0.0.1:{port}/v1"):
            remote = RemoteRecognizer(url, "tiny.en", timeout=5, fallback=lambda: local)
            for _ in range(2):  # the second is not even sent: it failed a moment ago
                heard = await asyncio.to_thread(remote.recognize, clip.samples, "en")
                assert timed_words(heard) == alone, url
            assert remote.failures == 2 and remote.calls == 2, url
        assert len(asked) == 1, f"the failing server was asked {len(asked)} times, not once"
    finally:
        await runner.cleanup()


def test_batched_utterances_keep_the_words_they_have_alone(
    real_clips: list[SpeechClip], model_dir: Path
) -> None:
    """Utterances of four sessions at once, their model calls batched: each gets the words
    and times it gets on its own (and batches of more than one did run)."""
    alone = WhisperRecognizer(model_dir)
    expected = [timed_words(alone.recognize(c.samples, "en")) for c in real_clips]
    rendezvous = Rendezvous(max_batch=4)
    batched = WhisperRecognizer(model_dir, rendezvous=rendezvous)

    def one(clip: SpeechClip) -> list[tuple[str, float, float]]:
        with priority(1), rendezvous.taking_part():
            return timed_words(batched.recognize(clip.samples, "en"))

    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(one, real_clips))
    assert found == expected
    assert rendezvous.stats.largest > 1, rendezvous.stats


def test_the_most_urgent_call_runs_first() -> None:
    """Calls waiting together: the lowest priority number runs first, then the oldest."""
    rendezvous = Rendezvous(max_batch=1, max_wait=0.05)
    ran: list[str] = []
    gate = threading.Event()

    def run(calls: list[str]) -> list[str]:
        gate.wait(5)
        ran.extend(calls)
        return calls

    def call(name: str, urgency: int) -> str:
        with priority(urgency), rendezvous.taking_part():
            return str(rendezvous.call("step", name, name, run))

    def until(condition: Callable[[], bool]) -> None:
        for _ in range(500):
            if condition():
                return
            time.sleep(0.01)
        raise AssertionError("the calls never got there")

    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(call, "first", 1)
        until(lambda: rendezvous.running)
        waiting = [pool.submit(call, name, urgency) for name, urgency in
                   (("partial", 2), ("final", 1), ("interview", 0))]  # fmt: skip
        until(lambda: rendezvous.waiting == 3)
        gate.set()
        for future in (first, *waiting):
            future.result(10)
    assert ran == ["first", "interview", "final", "partial"], ran


async def test_a_live_session_is_transcribed_through_the_recogniser(
    recognizer_process: ServerProcess, start_server: StartServer, tmp_path: Path
) -> None:
    """A worker with ``LENS_ASR_URL`` at the recogniser: a person's words come back as the
    transcript, recognised by the recogniser (its ``/metrics`` counts the calls)."""
    server = await start_server(transcript=True, asr_url=f"{recognizer_process.url}/v1")
    said = phrase("I led the migration of our billing system last spring", tmp_path / "p.wav")
    gap = np.zeros(AUDIO_RATE, np.float32)
    voice = SamplesTrack(
        resample(np.concatenate([gap, said, gap, gap]), AUDIO_RATE, AUDIO_SEND_RATE)
    )
    peer = ClientPeer(server.url, [StillsTrack([place(astronaut())]), voice])
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
        try:
            final = await peer.wait_for(
                lambda m: m["type"] == "transcript" and m.get("final", True), 60, "a transcript"
            )
        finally:
            await peer.close()
        async with http.get(f"{recognizer_process.url}/metrics") as response:
            metrics = await response.text()
    assert "billing" in json.dumps(final).lower(), final
    calls = [
        line for line in metrics.splitlines() if line.startswith("lens_recognizer_calls_total")
    ]
    assert calls and float(calls[0].split()[-1]) >= 1, metrics[:500]
