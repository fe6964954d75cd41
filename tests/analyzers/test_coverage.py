"""Nothing skipped: the coverage check finds speech a recognition call left without words, and
only that; the stretch is recognised again on its own and put in place."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.words.coverage import coverage, recheck
from analyzers.words.language import Utterance, Word
from tests.media import phrase


def talk(seconds: float, *, silent: tuple[float, float] | None = None) -> np.ndarray:
    """Speech-like noise at speech level (syllables at 4 a second), silent in ``silent``."""
    rng = np.random.default_rng(1)
    samples = (0.1 * rng.standard_normal(round(seconds * AUDIO_RATE))).astype(np.float32)
    samples *= (0.6 + 0.4 * np.sin(np.arange(samples.size) / AUDIO_RATE * 2 * np.pi * 4)).astype(
        np.float32
    )
    if silent is not None:
        samples[round(silent[0] * AUDIO_RATE) : round(silent[1] * AUDIO_RATE)] = 0
    return samples


def words(start: float, end: float, every: float = 0.4) -> list[Word]:
    return [Word("w", t, t + 0.3, 0.9) for t in np.arange(start, end - 0.3, every)]


def test_speech_without_words_is_a_stretch_and_silence_is_not() -> None:
    samples = talk(8.0, silent=(3.0, 5.0))
    whole = coverage(10.0, samples, words(10.0, 18.0))
    assert whole.share > 0.95 and not whole.stretches and not whole.short_of_words
    first_half = coverage(10.0, samples, words(10.0, 13.0))
    assert first_half.short_of_words
    assert len(first_half.stretches) == 1, first_half.stretches
    lo, hi = first_half.stretches[0]
    assert 14.9 <= lo <= 15.4 and hi >= 17.9, "the speech after the silence, not the silence"
    around_the_silence = coverage(10.0, samples, words(10.0, 13.0) + words(15.0, 18.0))
    assert not around_the_silence.stretches, "a silence with no words is not missing words"


def test_a_stretch_left_out_is_recognised_again_in_place() -> None:
    """A call that wrote words for the first 3 s of 8: the rest is cut out (never reaching
    back into the words already heard) and its words put after them, labelled."""
    samples = talk(8.0)
    heard = Utterance(20.0, 28.0, "w", "en", tuple(words(20.0, 23.0)))
    asked: list[tuple[float, float]] = []

    def recognise(at: float, part: np.ndarray) -> list[Utterance]:
        asked.append((at, at + part.size / AUDIO_RATE))
        said = (Word("um", at + 0.2, at + 0.5, 0.9), *words(at + 0.6, at + part.size / AUDIO_RATE))
        return [Utterance(at, at + 1, "", "en", said)]

    whole, again = recheck(heard, 20.0, samples, recognise, "en")
    assert len(asked) == 1 and asked[0][0] >= 22.6, f"asked again for {asked}"
    assert again > 4.0
    assert whole is not None and whole.start == 20.0
    times = [w.start for w in whole.words]
    assert times == sorted(times) and times[-1] > 27.0
    assert [w.filler for w in whole.words if w.word == "um"] == ["filled"], "labelled again"


def test_words_that_cover_the_speech_are_left_alone(tmp_path: Path) -> None:
    samples = phrase("I led a small team of four people", tmp_path / "v.wav")
    seconds = samples.size / AUDIO_RATE
    heard = Utterance(0.0, seconds, "w", "en", tuple(words(0.0, seconds, every=0.25)))

    def never(at: float, part: np.ndarray) -> list[Utterance]:
        raise AssertionError("no stretch was left out")

    assert recheck(heard, 0.0, samples, never, "en") == (heard, 0.0)
