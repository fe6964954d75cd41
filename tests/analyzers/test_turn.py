"""The end of a turn: Smart Turn v3.2's input as the model was trained on it, the model on real
speech whose answer is plain (a sentence said to its end; the same speaker stopped after "and"
mid-sentence), when it is asked, and the echo gate that lets a barge-in through."""

from __future__ import annotations

import numpy as np
import pytest

from analyzers import AUDIO_RATE
from analyzers.session.stream import AudioStream, StreamParams
from analyzers.voice.echo import EchoGate
from analyzers.voice.speech_events import SpeechStarted, SpeechStopped
from analyzers.voice.turn import (
    CONTEXT_SECONDS,
    SmartTurn,
    TurnParams,
    TurnPrediction,
    TurnQuestion,
    TurnWatcher,
    whisper_log_mel,
)
from analyzers.voice.windows import AudioAnalyzer
from modelfiles.registry import SMART_TURN, ModelRegistry
from testmedia import mfa
from testmedia.sources import recorded_speech


@pytest.fixture(scope="module")
def model() -> SmartTurn:
    return SmartTurn(ModelRegistry().path(SMART_TURN))


def test_the_features_are_whispers_log_mel_of_the_last_eight_seconds() -> None:
    """Checked against faster-whisper's own extractor (another implementation of Whisper's
    log-mel), on speech shorter than the context (left-padded) and longer (its end kept)."""
    from faster_whisper.feature_extractor import FeatureExtractor

    speech, _ = recorded_speech()
    reference = FeatureExtractor(feature_size=80, chunk_length=8)
    for audio in (speech, np.tile(speech, 3)):
        size = round(CONTEXT_SECONDS * AUDIO_RATE)
        window = audio[-size:]
        window = np.concatenate([np.zeros(size - window.size, np.float32), window])
        window = (window - window.mean()) / np.sqrt(window.var() + 1e-7)
        expected = reference(window, padding=0)[:, :800]
        found = whisper_log_mel(audio)
        assert found.shape == (80, 800)
        np.testing.assert_allclose(found, expected, atol=1e-4)


def test_a_finished_sentence_is_complete_and_one_cut_after_and_is_not(model: SmartTurn) -> None:
    floor = np.zeros(round(0.4 * AUDIO_RATE), np.float32)
    speech, _ = recorded_speech()
    finished = model.complete_probability(np.concatenate([speech, floor]))
    assert finished >= 0.5, f"'...Philip Steels, etc.' then silence: {finished:.2f}"
    corpus = mfa.corpus("acoustic_corpus")
    cut = next(w for w in corpus.words if w.word == "and" and w.start > 10.0)  # "...slow and"
    audio = corpus.samples[
        round(max(0.0, cut.end - 8.0) * AUDIO_RATE) : round(cut.end * AUDIO_RATE)
    ]
    unfinished = model.complete_probability(np.concatenate([audio, floor]))
    assert unfinished < 0.5, f"'...talking really slow and' then silence: {unfinished:.2f}"


def test_the_model_is_asked_once_per_silence_after_it_has_lasted() -> None:
    watcher = TurnWatcher(None, TurnParams(ask_after=0.4))
    push = np.full(AUDIO_RATE // 10, 0.01, np.float32)
    asked: list[TurnQuestion | TurnPrediction] = []
    events: dict[float, list[object]] = {
        0.5: [SpeechStarted(0.5)],
        2.0: [SpeechStopped(2.0, 1.5)],
    }
    for step in range(40):
        t = step / 10
        asked += watcher.update(push, t, events.get(round(t, 1), []))
    assert len(asked) == 1, asked
    question = asked[0]
    assert isinstance(question, TurnQuestion)
    assert question.t == 2.0 and question.asked_at == pytest.approx(2.4)
    # From half a second before the first word to the asking: the turn, with its silence.
    assert question.samples.size == round((2.4 - 0.0) * AUDIO_RATE)


def test_the_stream_core_judges_silences_with_a_model(model: SmartTurn) -> None:
    speech, _ = recorded_speech()
    audio = np.concatenate(
        [np.zeros(AUDIO_RATE // 2, np.float32), speech, np.zeros(AUDIO_RATE * 2, np.float32)]
    )
    stream = AudioStream(StreamParams(transcript=False), AudioAnalyzer, TurnWatcher(model))
    judged = []
    for i in range(0, audio.size, AUDIO_RATE // 10):
        judged += [
            o
            for o in stream.feed(audio[i : i + AUDIO_RATE // 10], i / AUDIO_RATE).outputs
            if isinstance(o, TurnPrediction)
        ]
    assert judged and judged[-1].complete, judged


def test_the_echo_gate_lets_the_person_through_and_not_the_echo() -> None:
    gate = EchoGate()
    since = 100.0
    # While it learns (the first 0.6 s), the echo is 10 dB under the voice.
    for k in range(30):
        assert not gate.is_person(since + k * 0.02, -30.0, -20.0, since)
    assert not gate.is_person(since + 1.0, -29.0, -20.0, since), "the echo, a little louder"
    assert gate.is_person(since + 1.0, -18.0, -20.0, since), "the person over the voice"
    assert gate.is_person(since + 1.5, -35.0, -70.0, since), "the voice has been quiet: a person"
    assert not gate.is_person(since + 1.6, -70.0, -70.0, since), "silence is never a person"
    assert not gate.is_person(200.0, -18.0, -20.0, 200.0), "another question: learning again"
