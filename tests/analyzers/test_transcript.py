"""What the candidate says, with real models from the model registry (the default ``tiny.en``,
and the multilingual ``base`` for Mandarin) on espeak-ng speech whose text is known: word error
rate, filled pauses, Mandarin, silence and noise, recorded files, and a live session."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest

from analyzers import AUDIO_RATE
from analyzers.words.language import word_error_rate
from analyzers.words.recognition import SpeechClip, WhisperRecognizer, transcribe
from loadtest.peer import AUDIO_SEND_RATE, ClientPeer, SamplesTrack, StillsTrack
from modelfiles.registry import ASR_MODELS, ModelRegistry
from signaling.settings import Settings
from testmedia import f5
from testmedia.sources import (
    FILLERS_SPOKEN,
    INTERVIEW_SENTENCES,
    SONNET_SPEECH,
    SONNET_TEXT,
    WITH_FILLERS,
    recorded_speech,
    sonnet,
    write_wav,
)
from tests.conftest import StartServer
from tests.media import astronaut, phrase, place, resample, white_noise, write_recording
from tests.webrtc.test_offline import run_cli
from webrtc.runtime.transcription import TranscriptionPool

ENGLISH = INTERVIEW_SENTENCES
MANDARIN = "我们今天讨论一下这个项目的计划"


@pytest.fixture(scope="module")
def model_dir() -> Path:
    """The default model's directory."""
    return ModelRegistry(Settings().model_dir).bundle(ASR_MODELS[Settings().asr_model])


@pytest.fixture(scope="module")
def recognizer(model_dir: Path) -> WhisperRecognizer:
    return WhisperRecognizer(model_dir)


@pytest.fixture(scope="module")
def multilingual() -> WhisperRecognizer:
    return WhisperRecognizer(ModelRegistry(Settings().model_dir).bundle(ASR_MODELS["base"]))


def clip(samples: np.ndarray, start: float = 0.0) -> SpeechClip:
    return SpeechClip(start, start + samples.size / AUDIO_RATE, samples)


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> list[np.ndarray]:
    folder = tmp_path_factory.mktemp("english")
    return [phrase(text, folder / f"{i}.wav") for i, text in enumerate(ENGLISH)]


def test_english_word_error_rate_within_15_percent(
    recognizer: WhisperRecognizer, english: list[np.ndarray]
) -> None:
    said = transcribe(recognizer, [clip(s, 10.0 * i) for i, s in enumerate(english)], "en")
    hypothesis = " ".join(u.text for u in said)
    wer = word_error_rate(" ".join(ENGLISH), hypothesis)
    assert wer <= 0.15, f"WER {wer:.0%}: heard {hypothesis!r}"
    assert [round(u.start) for u in said] == [0, 10, 20, 30, 40], "each sentence at its time"
    for u in said:
        times = [(w.start, w.end) for w in u.words]
        assert all(a <= b for a, b in times) and times == sorted(times)
        assert u.start <= times[0][0] and times[-1][1] <= u.end + 0.5


def test_real_recorded_speech(
    recognizer: WhisperRecognizer, multilingual: WhisperRecognizer
) -> None:
    """CMU ARCTIC a0001, a real recording shipped in a wheel: both models within 15 %."""
    samples, text = recorded_speech(ModelRegistry(Settings().model_dir))
    for model in (recognizer, multilingual):
        heard = " ".join(u.text for u in transcribe(model, [clip(samples)], "en"))
        assert word_error_rate(text, heard) <= 0.15, f"{model.name} heard {heard!r}"


def test_filled_pauses_are_kept_and_counted(recognizer: WhisperRecognizer, tmp_path: Path) -> None:
    speech = phrase(WITH_FILLERS, tmp_path / "fillers.wav", words_per_minute=150)
    said = transcribe(recognizer, [clip(speech)], "en")
    found = [w.word for u in said for w in u.words if w.filler == "filled"]
    correct = min(len(found), FILLERS_SPOKEN)
    recall, precision = correct / FILLERS_SPOKEN, correct / max(1, len(found))
    text = " ".join(u.text for u in said)
    assert recall >= 0.8 and precision >= 0.8, (
        f"recall {recall:.0%}, precision {precision:.0%}: {found} in {text!r}"
    )


def test_mandarin_gives_chinese_characters_with_timings(
    multilingual: WhisperRecognizer, tmp_path: Path
) -> None:
    # espeak-ng's plain "cmn" voice reads tone numbers aloud; its pinyin voice speaks Mandarin.
    speech = phrase(MANDARIN, tmp_path / "zh.wav", voice="cmn-latn-pinyin")
    said = transcribe(multilingual, [clip(speech, 2.0)], "cmn")
    text = "".join(u.text for u in said)
    han = [ch for ch in text if "\u4e00" <= ch <= "\u9fff"]
    assert len(han) >= len(MANDARIN) // 2, f"heard {text!r}"
    words = [w for u in said for w in u.words]
    assert all(2.0 <= w.start <= w.end <= 2.0 + speech.size / AUDIO_RATE + 0.5 for w in words)
    assert said[0].language == "zh"


@pytest.mark.parametrize(
    "samples",
    [
        pytest.param(np.zeros(3 * AUDIO_RATE, np.float32), id="silence"),
        pytest.param(white_noise(3.0, -35.0), id="noise"),
    ],
)
def test_silence_and_noise_give_no_words(
    recognizer: WhisperRecognizer, samples: np.ndarray
) -> None:
    """Even when they reach the recogniser (the voice-activity gate keeps them away)."""
    said = transcribe(recognizer, [clip(samples)], "en")
    assert said == [], f"heard {[u.text for u in said]}"


async def test_a_recorded_file_has_its_transcript_in_the_report(
    english: list[np.ndarray], tmp_path: Path, model_dir: Path
) -> None:
    gap = np.zeros(AUDIO_RATE, np.float32)
    audio = np.concatenate([gap, english[1], gap, white_noise(2.0, -40.0), english[2], gap])
    seconds = audio.size / AUDIO_RATE
    frames = [place(astronaut())] * int(seconds * 5)
    path = write_recording(tmp_path / "answer.mp4", frames, 5, audio)
    out = tmp_path / "report.json"
    env = {"LENS_TRANSCRIPT": "true", "LENS_ASR_MODEL": str(model_dir)}
    code, output = await run_cli("analyze", str(path), "--out", str(out), env=env)
    assert code == 0, output[-2000:]
    report = json.loads(out.read_text())
    transcript = report["transcript"]
    assert len(transcript) == 2, [u["text"] for u in transcript]
    heard = " ".join(u["text"] for u in transcript)
    assert word_error_rate(ENGLISH[1] + " " + ENGLISH[2], heard) <= 0.15, heard
    language, rate = report["summary"]["language"], report["summary"]["speaking_rate"]
    assert language["words"] >= 20 and rate["wpm_from"] == "words" and rate["wpm"] > 60


async def test_a_real_reading_speech_rate_from_words(tmp_path: Path, model_dir: Path) -> None:
    """A person reading a sonnet, analysed offline with its transcript: the speech rate is the
    words heard over the turn, within 10 % of the text's words over the reading's first word to
    last; the syllable estimate stays beside it as the articulation rate."""
    path = write_wav(
        tmp_path / "sonnet.wav", sonnet(ModelRegistry(Settings().model_dir)), AUDIO_RATE
    )
    out = tmp_path / "report.json"
    env = {"LENS_TRANSCRIPT": "true", "LENS_ASR_MODEL": str(model_dir)}
    code, output = await run_cli("analyze", str(path), "--out", str(out), env=env)
    assert code == 0, output[-2000:]
    rate = json.loads(out.read_text())["summary"]["speaking_rate"]
    start, end = SONNET_SPEECH
    truth = len(SONNET_TEXT.split()) * 60 / (end - start)
    assert rate["wpm_from"] == "words", rate
    assert rate["wpm"] == pytest.approx(truth, rel=0.1), (rate, truth)
    assert rate["turn_seconds"] == pytest.approx(end - start, rel=0.03), rate
    assert rate["articulation_rate"] == rate["syllables_per_s"] and rate["articulation_rate"] > 2


async def test_a_live_session_is_transcribed(
    start_server: StartServer, english: list[np.ndarray], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = await start_server(transcript=True)
    gap = np.zeros(AUDIO_RATE, np.float32)
    audio = np.concatenate([gap, english[1], gap, english[3], gap * 3])
    peer = ClientPeer(
        server.url,
        [
            StillsTrack([place(astronaut())]),
            SamplesTrack(resample(audio, AUDIO_RATE, AUDIO_SEND_RATE)),
        ],
    )
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    try:
        first = await peer.wait_for(
            lambda m: m["type"] == "transcript" and m["final"], 30, "a final transcript"
        )
        stopped = [m for m in peer.of_type("speech.stopped") if m["t"] <= first["end"] + 0.3]
        assert stopped, "the transcript comes after its speech stopped"
        assert first["final"] and first["words"] and first["start"] == first["t"]
        second = await peer.wait_for(
            lambda m: m["type"] == "transcript" and m["final"] and m["start"] > first["end"],
            30,
            "a second one",
        )
        # Through Opus at 32 kbit/s and two resamplings: looser than the clean 15 % target.
        heard = first["text"] + " " + second["text"]
        assert word_error_rate(ENGLISH[1] + " " + ENGLISH[3], heard) <= 0.3, heard
        summary = await peer.wait_for(
            lambda m: m["type"] == "summary" and m["language"] and m["language"]["words"] > 15,
            20,
            "a summary with the words",
        )
        assert summary["language"]["fillers"] == 0
        peer.send({"type": "end"})
        await peer.wait_for(lambda m: m["type"] == "session.closed", 30, "the end")
    finally:
        await peer.close()
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/metrics") as r:
            metrics = await r.text()
        calls = next(x for x in metrics.splitlines() if x.startswith("lens_transcript_calls_total"))
        assert float(calls.split()[-1]) >= 2, calls
        assert 'lens_transcript_mode{mode="live"} 1.0' in metrics
        lag = next(x for x in metrics.splitlines() if x.startswith("lens_transcript_lag_seconds"))
        assert 0 < float(lag.split()[-1]) < 30, lag
        async with http.get(f"{server.url}/api/sessions/{peer.session_id}/report") as r:
            report = await r.json()
        kept = [u["text"] for u in report["transcript"]]
        live = [m["text"] for m in peer.of_type("transcript") if m["final"]]
        # The clip loops: an utterance still open at "end" is cut and transcribed for the report.
        # Partial transcripts are sent, never kept.
        assert kept[: len(live)] == live and len(kept) - len(live) <= 1, (kept, live)
        async with http.get(
            f"{server.url}/api/sessions/{peer.session_id}/report", params={"format": "html"}
        ) as r:
            page = await r.text()
        assert "What you said" in page and first["words"][0]["word"] in page
        async with http.delete(f"{server.url}/api/sessions/{peer.session_id}") as r:
            assert r.status == 204
        async with http.get(f"{server.url}/api/sessions/{peer.session_id}/report") as r:
            assert r.status == 404, "DELETE erases the transcript with the report"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for message in (first, second):
        said = " ".join(message["text"].split()[1:5])
        assert said not in logged, f"the transcript ({said!r}) reached a log line"


async def test_past_the_backlog_transcripts_are_deferred_not_dropped(
    model_dir: Path, english: list[np.ndarray]
) -> None:
    """The pool's degraded modes, with the real model: past ``max_backlog`` seconds of waiting
    speech, clips are set aside (16-bit) and transcribed at the session's end; past
    ``max_deferred``, they are counted as missing. Nothing is dropped silently."""
    heard: list[str] = []
    pool = TranscriptionPool(
        lambda family: WhisperRecognizer(model_dir), max_backlog=3.0, max_deferred=8.0
    )
    try:
        pool.open("s", "en", lambda utterances, final: heard.extend(u.text for u in utterances))
        clips = [clip(s, 10.0 * i) for i, s in enumerate(english)]  # 15.6 s of speech
        pool.add("s", clips)
        assert pool.mode == "deferred", "the first clips went over the 3 s backlog"
        missing = await pool.finish("s", timeout=60)
        said = sum(c.seconds for c in clips)
        assert heard, "what was set aside was transcribed at the end"
        assert 0 < missing < said and pool.dropped_seconds == pytest.approx(missing), (
            f"{missing:.1f} s counted missing of {said:.1f} s"
        )
        transcribed = " ".join(heard)
        assert word_error_rate(" ".join(ENGLISH[: len(heard)]), transcribed) <= 0.3, transcribed
    finally:
        await pool.close()


async def test_partial_transcripts_only_when_recognition_is_idle(
    model_dir: Path, english: list[np.ndarray]
) -> None:
    """An utterance's audio so far is transcribed as a partial (``final`` false) when the pool
    is idle; while a final clip waits or a call runs, a partial is refused and counted, and a
    final never waits behind more than the one partial call already running."""
    heard: list[tuple[bool, str]] = []
    delivered = asyncio.Event()

    def deliver(utterances: list[Any], final: bool) -> None:
        heard.extend((final, u.text) for u in utterances)
        delivered.set()

    spare = [False]
    pool = TranscriptionPool(lambda family: WhisperRecognizer(model_dir), spare=lambda: spare[0])
    try:
        pool.open("s", "en", deliver)
        assert not pool.add_partial("s", clip(english[1])), "no CPU to spare: no partial"
        assert pool.partials_skipped == 1
        spare[0] = True
        assert pool.add_partial("s", clip(english[1]))
        await asyncio.wait_for(delivered.wait(), 60)
        assert heard and heard[0][0] is False and "team" in heard[0][1].lower(), heard
        assert pool.partial_calls == 1 and not pool.lags, "a partial is not a final's lag"
        delivered.clear()
        pool.add("s", [clip(english[2], 5.0)])
        assert not pool.add_partial("s", clip(english[3], 10.0)), "a final waits: no partial"
        assert pool.partials_skipped == 2
        await asyncio.wait_for(delivered.wait(), 60)
        assert heard[-1][0] is True and pool.partial_calls == 1, heard
    finally:
        await pool.close()


async def test_a_long_answer_gets_partial_transcripts_before_its_final(
    start_server: StartServer, english: list[np.ndarray]
) -> None:
    """An answer of ~8 s said without a pause, the server otherwise idle: partial transcripts
    (``final`` false) of it arrive while it goes on, each covering more of it, then its final;
    only the final one counts in the report's transcript. (The CPU gate is the pool's test's:
    here the test's own client shares the process.)"""
    server = await start_server(transcript=True, partial_max_load=1.0)
    gap = np.zeros(AUDIO_RATE, np.float32)
    said = np.concatenate([english[1], english[2]])
    peer = ClientPeer(
        server.url,
        [SamplesTrack(resample(np.concatenate([gap, said, gap * 3]), AUDIO_RATE, AUDIO_SEND_RATE))],
    )
    async with aiohttp.ClientSession() as http:
        await peer.connect(http)
    try:
        final = await peer.wait_for(
            lambda m: m["type"] == "transcript" and m["final"], 40, "the final transcript"
        )
        partials = [m for m in peer.of_type("transcript") if not m["final"]]
        assert partials, f"no partial before the final: {peer.received()}"
        assert all(p["start"] == final["start"] and p["end"] < final["end"] for p in partials)
        assert [p["end"] for p in partials] == sorted(p["end"] for p in partials)
        assert peer.messages.index(partials[-1]) < peer.messages.index(final)
        peer.send({"type": "end"})
        await peer.wait_for(lambda m: m["type"] == "session.closed", 40, "the end")
    finally:
        await peer.close()
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{server.url}/api/sessions/{peer.session_id}/report") as response,
    ):
        kept = (await response.json())["transcript"]
    assert [u["text"] for u in kept if u["start"] == final["start"]] == [final["text"]], kept


async def test_each_session_is_heard_by_its_languages_model(
    model_dir: Path, english: list[np.ndarray]
) -> None:
    """Pins: a Chinese interview needed ``LENS_ASR_MODEL=base`` for every session. An English
    session keeps ``tiny.en``; a Mandarin one gets ``base``, made when it is first needed (a
    real Mandarin speaker: F5-TTS's reference recording)."""
    base = ModelRegistry(Settings().model_dir).bundle(ASR_MODELS["base"])
    made: list[str] = []

    def recognizer(family: str) -> WhisperRecognizer:
        made.append(family)
        return WhisperRecognizer(base if family == "zh" else model_dir)

    heard: dict[str, list[str]] = {"en": [], "zh": []}
    pool = TranscriptionPool(recognizer)
    try:
        pool.open(
            "en", "en", lambda utterances, final: heard["en"].extend(u.text for u in utterances)
        )
        pool.add("en", [clip(english[1])])
        assert await pool.finish("en", timeout=60) == 0.0
        assert made == ["en"], "no Mandarin model before a Mandarin session needs it"
        pool.open(
            "zh", "cmn", lambda utterances, final: heard["zh"].extend(u.text for u in utterances)
        )
        pool.add("zh", [clip(f5.recording(f5.MANDARIN))])
        assert await pool.finish("zh", timeout=120) == 0.0
    finally:
        await pool.close()
    assert made == ["en", "zh"], made
    assert "team" in " ".join(heard["en"]).lower(), heard["en"]
    said = "".join(heard["zh"])
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in said) >= 8, f"Mandarin heard as {said!r}"
