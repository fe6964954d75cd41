"""The interviewer's voices, heard by Lens's own speech recogniser: espeak-ng, and Piper's
neural ``en_US-joe-medium`` out of its wheel (English; Chinese falls back to espeak-ng)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame

from analyzers import AUDIO_RATE
from analyzers.words.language import word_error_rate
from analyzers.words.recognition import SpeechClip, WhisperRecognizer, transcribe
from modelfiles.registry import ASR_MODELS, ModelRegistry
from modelfiles.resolve import voice_model
from signaling.settings import Settings
from tests.media import require_tool, resample
from webrtc.peer.voice_track import FRAME as TRACK_FRAME
from webrtc.peer.voice_track import VoiceTrack
from webrtc.runtime.speech_synthesis import RATE, EspeakVoice, PiperVoice, Voice

QUESTION = "Tell me about a project you are proud of, and what you learned from it."


@pytest.fixture(scope="module")
def recognizer() -> WhisperRecognizer:
    return WhisperRecognizer(ModelRegistry(Settings().model_dir).bundle(ASR_MODELS["tiny.en"]))


def heard(recognizer: WhisperRecognizer, pcm: np.ndarray) -> str:
    samples = resample(pcm.astype(np.float32) / 32768.0, RATE, AUDIO_RATE)
    clip = SpeechClip(0.0, samples.size / AUDIO_RATE, samples)
    return " ".join(u.text for u in transcribe(recognizer, [clip], "en")).lower()


async def say(voice: Voice, text: str, language: str = "en") -> np.ndarray:
    pcm = await voice.speak(text, language)
    assert pcm is not None and pcm.dtype == np.int16, "the voice said nothing"
    return pcm


async def test_espeak_says_the_question(recognizer: WhisperRecognizer) -> None:
    require_tool("espeak-ng")
    pcm = await say(EspeakVoice(), QUESTION)
    words = heard(recognizer, pcm)
    assert word_error_rate(QUESTION, words) <= 0.3, f"heard {words!r}"


async def test_piper_says_the_question_and_leaves_chinese_to_espeak(
    recognizer: WhisperRecognizer,
) -> None:
    require_tool("espeak-ng")
    model = voice_model("piper", Settings().model_dir)
    assert model is not None
    voice = PiperVoice(*model, fallback=EspeakVoice())
    try:
        pcm = await say(voice, QUESTION)
        assert 2.5 < pcm.size / RATE < 9.0, f"{pcm.size / RATE:.1f} s for one question"
        words = heard(recognizer, pcm)
        assert word_error_rate(QUESTION, words) <= 0.3, f"heard {words!r}"
        again = await say(voice, "Why do you want this job?")
        assert voice.syntheses == 2, "one process, kept for the next question"
        assert again.size < pcm.size
        chinese = await say(voice, "请简单介绍一下你自己。", "zh")
        assert voice.syntheses == 2 and chinese.size > RATE, "Chinese went to espeak-ng"
    finally:
        await voice.close()


async def test_a_piper_worker_that_dies_is_started_again() -> None:
    model = voice_model("piper", Settings().model_dir)
    assert model is not None
    voice = PiperVoice(*model)
    try:
        await say(voice, "First question.")
        assert voice._process is not None
        voice._process.kill()
        await voice._process.wait()
        first_try = await voice.speak("Second question.", "en")
        second_try = first_try if first_try is not None else await say(voice, "Second question.")
        assert second_try.size > RATE // 2, "the next question is said by a new worker"
    finally:
        await voice.close()


async def until_quiet(track: VoiceTrack) -> tuple[int, asyncio.Future[AudioFrame]]:
    """Frames received until one does not come within 0.3 s, and the receive still waiting."""
    sent = 0
    while True:
        waiting = asyncio.ensure_future(track.recv())
        done, _ = await asyncio.wait({waiting}, timeout=0.3)
        if not done:
            return sent, waiting
        waiting.result()
        sent += 1
        assert sent < 100, "the track never went quiet"


async def test_the_interviewer_s_track_goes_quiet_between_questions() -> None:
    """After its hangover of silence the track sends nothing until the next question plays;
    that question's frames then carry on at the time they are due (the RTP timestamps jump by
    the quiet), and a track stopped while quiet ends."""
    track = VoiceTrack(hangover=0.1)
    assert (await track.recv()).pts == 0
    silence, waiting = await until_quiet(track)
    assert 3 <= silence <= 8, f"{silence} frames of silence for a hangover of 0.1 s"
    track.play(np.full(TRACK_FRAME * 3, 8000, np.int16))
    frame = await asyncio.wait_for(waiting, 1.0)
    resumed = frame.pts or 0
    assert resumed >= round(0.3 * RATE), f"resumed at {resumed / RATE:.2f} s, not at now"
    assert np.abs(frame.to_ndarray()).max() == 8000, "the question's first frame"
    for _ in range(2):
        assert ((await track.recv()).pts or 0) > resumed
    _, waiting = await until_quiet(track)
    track.stop()
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(waiting, 1.0)
