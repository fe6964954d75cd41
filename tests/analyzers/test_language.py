"""Fillers, hedges, repetitions and pace from timed words, on hand-made utterances whose counts
can be written down (English and Mandarin), and the utterance clips the stream core cuts."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from analyzers import AUDIO_RATE
from analyzers.session.stream import AudioStream, StreamParams
from analyzers.voice.speech_events import SpeechStarted
from analyzers.voice.windows import AudioAnalyzer
from analyzers.words.language import Utterance, Word, label_words, repetitions, summarise
from analyzers.words.recognition import (
    GAP_SECONDS,
    Recognition,
    RecognizedWord,
    SpeechClip,
    batches,
    merge,
    utterances_of,
)
from analyzers.words.utterances import ClipCutter
from tests.media import phrase, white_noise


def words(text: str, start: float = 0.0, step: float = 0.3) -> list[Word]:
    return [
        Word(w, round(start + i * step, 3), round(start + (i + 1) * step, 3), 0.9)
        for i, w in enumerate(text.split())
    ]


def labels(text: str, language: str = "en") -> list[tuple[str, str | None, bool]]:
    return [(w.word, w.filler, w.hedge) for w in label_words(words(text), language)]


def test_filled_pauses_are_fillers_however_whisper_writes_them() -> None:
    marked = labels("Um, I led the team. Uh... we shipped it, er, on time. Hmm.")
    fillers = [w for w, kind, _ in marked if kind == "filled"]
    assert fillers == ["Um,", "Uh...", "er,", "Hmm."], marked


def test_like_is_a_filler_only_where_it_is_not_a_word() -> None:
    marked = labels("it was like really hard and I would like to say I like it")
    discourse = [(i, w) for i, (w, kind, _) in enumerate(marked) if kind == "discourse"]
    assert discourse == [(2, "like")], marked
    assert [w for w, kind, _ in labels("you know, I mean, we did it") if kind] == [
        "you",
        "know,",
        "I",
        "mean,",
    ]


def test_hedges_and_repetitions() -> None:
    text = "I think we could maybe sort of do it, I I guess we did we did just fine"
    labelled = label_words(words(text), "en")
    hedged = [w.word for w in labelled if w.hedge]
    assert hedged == ["I", "think", "maybe", "sort", "of", "I", "guess", "just"], hedged
    assert repetitions(labelled) == ["i", "we did"]


def test_mandarin_fillers_hedges_and_characters_per_minute() -> None:
    said = [
        Word("嗯", 0.0, 0.4, 0.9),
        Word("我觉得", 0.4, 1.0, 0.9),
        Word("那个\uff0c", 1.0, 1.4, 0.9),  # a comma: said as a filler, not "that project"
        Word("项目", 1.4, 2.0, 0.9),
        Word("可能", 2.0, 2.4, 0.9),
        Word("很好", 2.4, 3.0, 0.9),
    ]
    labelled = label_words(said, "zh")
    assert [w.filler for w in labelled] == ["filled", None, "discourse", None, None, None]
    assert [w.hedge for w in labelled] == [False, True, False, False, True, False]
    summary = summarise([Utterance(0.0, 3.0, "", "zh", tuple(labelled))], "cmn")
    # 我觉得 那个 项目 可能 很好: 11 characters in 3 s of speech (嗯 left out).
    assert summary.words == 11 and summary.words_per_min == pytest.approx(220.0)
    assert summary.fillers == 1 and summary.discourse_fillers == 1 and summary.hedges == 2


def test_summary_over_utterances() -> None:
    first = label_words(words("Um I think we shipped it on time", 0.0), "en")
    second = label_words(words("uh the the team was great", 10.0), "en")
    summary = summarise(
        [
            Utterance(0.0, 2.4, "", "en", tuple(first)),
            Utterance(10.0, 11.8, "", "en", tuple(second)),
        ],
        "en",
    )
    # Words without the two filled pauses: 7 + 5 = 12, in 4.2 s of speaking.
    assert summary.words == 12 and summary.words_per_min == pytest.approx(12 / 4.2 * 60, abs=0.1)
    assert summary.fillers == 2 and summary.fillers_per_min == pytest.approx(2 / 4.2 * 60, abs=0.01)
    assert summary.top_fillers == [("um", 1), ("uh", 1)]
    assert summary.hedges == 1 and summary.top_hedges == [("i think", 1)]
    assert summary.repetitions == 1 and summary.top_repetitions == [("the", 1)]
    assert summary.longest_monologue_s == 2.4


def test_merged_clips_map_words_back_to_their_own_media_time() -> None:
    a = SpeechClip(5.0, 6.0, np.zeros(AUDIO_RATE, np.float32))
    b = SpeechClip(20.0, 22.0, np.zeros(2 * AUDIO_RATE, np.float32))
    samples, placed = merge([a, b])
    assert samples.size == round((1.0 + GAP_SECONDS + 2.0) * AUDIO_RATE)
    recognition = Recognition(
        "en",
        (
            RecognizedWord(" Hello", 0.1, 0.5, 0.9),
            RecognizedWord(" again", 1.0 + GAP_SECONDS + 0.2, 1.0 + GAP_SECONDS + 0.6, 0.8),
        ),
    )
    said = utterances_of(recognition, placed, "en")
    assert [(u.start, u.text) for u in said] == [(5.0, "Hello"), (20.0, "again")]
    assert said[1].words[0].start == pytest.approx(20.2) and said[1].words[0].end == 20.6
    long = [SpeechClip(0, 12, np.zeros(12 * AUDIO_RATE, np.float32))] * 5
    assert [len(g) for g in batches(long)] == [2, 2, 1], "at most 30 s per call"


@pytest.fixture(scope="module")
def speech_and_pauses(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, list]:
    folder = tmp_path_factory.mktemp("clips")
    parts, spans, t = [np.zeros(AUDIO_RATE, np.float32)], [], 1.0
    for i, text in enumerate(["Thank you for having me", "I led a small team"]):
        voice = phrase(text, folder / f"{i}.wav")
        spans.append((t, t + voice.size / AUDIO_RATE))
        parts += [voice, np.zeros(2 * AUDIO_RATE, np.float32)]
        t += voice.size / AUDIO_RATE + 2.0
    return np.concatenate(parts), spans


def test_the_core_cuts_one_clip_per_utterance(speech_and_pauses: tuple) -> None:
    samples, spans = speech_and_pauses
    stream = AudioStream(StreamParams(), AudioAnalyzer)
    clips = []
    for i in range(0, samples.size, 1600):
        clips += stream.feed(samples[i : i + 1600], i / AUDIO_RATE).clips
    clips += stream.end().clips
    assert len(clips) == len(spans), [(c.start, c.end) for c in clips]
    for clip, (start, end) in zip(clips, spans, strict=True):
        assert clip.start == pytest.approx(start - 0.2, abs=0.15)
        assert clip.end == pytest.approx(end, abs=0.15)
        voiced = clip.samples[round(0.2 * AUDIO_RATE) : round((end - clip.start) * AUDIO_RATE)]
        assert np.sqrt(np.mean(voiced**2)) > 0.01, "the clip holds the speech"


def test_no_clip_from_noise_or_silence_nor_with_transcripts_off(speech_and_pauses: tuple) -> None:
    for samples in (np.zeros(5 * AUDIO_RATE, np.float32), white_noise(5.0, -30.0)):
        stream = AudioStream(StreamParams(), AudioAnalyzer)
        assert not stream.feed(samples, 0.0).clips and not stream.end().clips
    samples, _ = speech_and_pauses
    off = AudioStream(StreamParams(transcript=False), AudioAnalyzer)
    assert not off.feed(samples, 0.0).clips and not off.end().clips


def test_a_monologue_is_cut_every_25_seconds(tmp_path: Path) -> None:
    voice = phrase("Thank you for having me here today", tmp_path / "v.wav")
    talk = np.tile(voice, int(np.ceil(60 * AUDIO_RATE / voice.size)))  # a minute, no breath
    stream = AudioStream(StreamParams(max_utterance=25.0), AudioAnalyzer)
    clips = []
    for i in range(0, talk.size, 1600):
        clips += stream.feed(talk[i : i + 1600], i / AUDIO_RATE).clips
    clips += stream.end().clips
    spans = [(round(c.start, 1), round(c.end, 1)) for c in clips]
    assert all(12.0 <= c.end - c.start <= 25.5 for c in clips[:-1]), spans
    assert sum(c.seconds for c in clips) >= 0.9 * talk.size / AUDIO_RATE, "nothing lost"


def test_a_monologue_is_cut_at_its_best_pause(tmp_path: Path) -> None:
    """Breaths of 0.2 s between sentences and one pause of 0.5 s in the second half: the cut
    falls in that pause, not at the latest breath before 25 s (which may be in mid-thought)."""
    voice = phrase("Thank you for having me here today", tmp_path / "v.wav")
    parts, t, pause_at = [], 0.0, None
    while t < 40.0:
        parts.append(voice)
        t += voice.size / AUDIO_RATE
        gap = 0.5 if pause_at is None and t > 16.0 else 0.2
        if gap == 0.5:
            pause_at = t
        parts.append(np.zeros(round(gap * AUDIO_RATE), np.float32))
        t += gap
    clips = cut(np.concatenate(parts), StreamParams(max_utterance=25.0))
    assert pause_at is not None
    assert abs(clips[0].end - pause_at) < 0.15, (pause_at, [(c.start, c.end) for c in clips])


def test_a_monologue_without_a_breath_is_cut_where_it_is_quietest() -> None:
    """No silence at all: the cut falls in the quietest 100 ms of the second half (here a dip
    to a tenth of the level), not wherever the 25 s ran out."""
    rng = np.random.default_rng(0)
    talk = (0.1 * rng.standard_normal(40 * AUDIO_RATE)).astype(np.float32)
    talk *= 1 + 0.5 * np.sin(np.arange(talk.size) / AUDIO_RATE * 2 * np.pi * 3)  # syllables
    dip = round(19.0 * AUDIO_RATE)
    talk[dip : dip + AUDIO_RATE // 5] *= 0.1
    cutter = ClipCutter(longest=25.0)
    cutter.update(talk[:1600], 0.0, [SpeechStarted(0.0)])
    clips = []
    for i in range(1600, talk.size, 1600):
        clips += cutter.update(talk[i : i + 1600], i / AUDIO_RATE, [])
    assert clips and 18.95 <= clips[0].end <= 19.25, [(c.start, c.end) for c in clips]


def cut(samples: np.ndarray, params: StreamParams | None = None) -> list[SpeechClip]:
    stream = AudioStream(params or StreamParams(), AudioAnalyzer)
    clips = []
    for i in range(0, samples.size, 1600):
        clips += stream.feed(samples[i : i + 1600], i / AUDIO_RATE).clips
    return clips + stream.end().clips


def test_utterances_end_at_pauses_never_at_shorter_silences(tmp_path: Path) -> None:
    """A breath (0.3 s) stays inside an utterance; a pause (0.6 s or more, what the pause
    statistics count) ends it. Cutting at every short silence broke an answer into fragments
    that were recognised one by one and invented fillers."""
    voice = phrase("I led a small team", tmp_path / "v.wav")
    gaps = [0.3, 0.3, 1.0, 0.4, 1.5]
    parts = [np.zeros(AUDIO_RATE, np.float32)]
    for gap in gaps:
        parts += [voice, np.zeros(round(gap * AUDIO_RATE), np.float32)]
    clips = cut(np.concatenate(parts))
    assert len(clips) == 2, [(round(c.start, 2), round(c.end, 2)) for c in clips]


def test_a_long_monologue_is_split_at_a_breath_and_never_overlaps(tmp_path: Path) -> None:
    voice = phrase("Thank you for having me here today", tmp_path / "v.wav")
    breath = np.zeros(round(0.35 * AUDIO_RATE), np.float32)
    talk = np.concatenate([np.concatenate([voice, breath])] * 30)
    clips = cut(talk, StreamParams(max_utterance=20.0))
    assert len(clips) >= 2
    for a, b in itertools.pairwise(clips):
        assert a.start + a.seconds <= b.start + 1e-6, "clips overlap"
        gap = b.start - (a.start + a.seconds)
        assert gap < 0.4, f"{gap:.2f} s of audio between two clips is in neither"
        # Each cut sits in a breath: the audio at the cut is silent.
        edge = round((a.start + a.seconds) * AUDIO_RATE)
        assert np.abs(talk[edge - 80 : edge + 80]).max() < 1e-3, f"cut mid-word at {a.end}"
    assert max(c.end - c.start for c in clips) <= 20.5


def test_speech_rate_runs_over_turns() -> None:
    """Words per minute of turn time: a 1.6 s silence between answers stays inside the turn (it
    is part of how fast someone talks), a 5 s one ends it (someone else's turn, or thinking)."""
    first = label_words(words("we shipped it on time", 0.0), "en")  # 0.0-1.5 s
    close = label_words(words("and the team was great", 3.1), "en")  # 3.1-4.6 s
    far = label_words(words("and the team was great", 9.6), "en")  # 9.6-11.1 s
    one_turn = summarise(
        [Utterance(0.0, 1.5, "", "en", tuple(first)), Utterance(3.1, 4.6, "", "en", tuple(close))],
        "en",
    )
    assert one_turn.turn_seconds == pytest.approx(4.6)
    assert one_turn.words_per_min == pytest.approx(10 / 4.6 * 60, abs=0.1)
    two_turns = summarise(
        [Utterance(0.0, 1.5, "", "en", tuple(first)), Utterance(9.6, 11.1, "", "en", tuple(far))],
        "en",
    )
    assert two_turns.turn_seconds == pytest.approx(3.0)
    assert two_turns.words_per_min == pytest.approx(10 / 3.0 * 60, abs=0.1)
    assert summarise(
        [Utterance(0.0, 1.5, "", "en", tuple(first))], "en", turn_gap=1.0
    ).turn_seconds == pytest.approx(1.5)
