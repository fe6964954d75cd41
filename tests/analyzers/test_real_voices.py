"""Speech analysis on real recordings of people (MFA's source package, :mod:`testmedia.mfa`),
through the stream core as a session or an upload runs it: voice activity in a quiet room and
with a hoarse voice in another, transcripts that lose nothing and hear nothing twice, word times
against MFA's alignment, pace, and filled pauses on real hesitations. The synthetic answer with
six fillers and the espeak-ng interview sentences go the same way. Figures and how they were
made: ``docs/analyzers.md`` ("Validated on real recordings")."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from analyzers import AUDIO_RATE
from analyzers.voice.windows import AudioAnalysisOptions
from analyzers.words.language import Word, label_words, summarise, word_error_rate
from analyzers.words.recognition import (
    SpeechClip,
    WhisperRecognizer,
    max_tokens,
    tidy,
    transcribe,
    unheard_seconds,
)
from bench.asr_coverage import compared, joined
from bench.asr_real import conversation as assembled_conversation
from bench.asr_real import doubled, filled_pauses, heard_text, listen, misplaced, total
from modelfiles.registry import ASR_MODELS, ModelRegistry
from signaling.settings import Settings
from testmedia import f5, mfa
from testmedia.sources import FILLERS_SPOKEN, INTERVIEW_SENTENCES, WITH_FILLERS
from tests.media import phrase


@pytest.fixture(scope="module")
def registry() -> ModelRegistry:
    return ModelRegistry(Settings().model_dir)


@pytest.fixture(scope="module")
def recognizer(registry: ModelRegistry) -> WhisperRecognizer:
    """The default model, as the server runs it."""
    return WhisperRecognizer(registry.bundle(ASR_MODELS[Settings().asr_model]))


@pytest.fixture(scope="module", params=["acoustic_corpus", "cold_corpus"])
def corpus(request: pytest.FixtureRequest, registry: ModelRegistry) -> mfa.Corpus:
    return mfa.corpus(request.param, registry)


def test_talk_ratio_holds_in_a_real_room_and_with_a_hoarse_voice(corpus: mfa.Corpus) -> None:
    """webrtcvad passed a third of a hoarse voice's frames: 0.43 against 0.70."""
    heard = listen(corpus.samples).talk_ratio
    truth = corpus.talk_ratio()
    assert abs(heard - truth) <= 0.08, f"{corpus.name}: talk ratio {heard:.2f}, truth {truth:.2f}"


def test_a_real_voice_keeps_its_pitch_through_rumble_and_hum(registry: ModelRegistry) -> None:
    """The quiet room's speaker (a man, about 100 Hz) with a DC offset, 3 Hz rumble and 60 Hz
    hum added: his pitch moves less than 5 % and stays in a man's range (85-180 Hz)."""
    clean = mfa.corpus("acoustic_corpus", registry).samples
    t = np.arange(clean.size) / AUDIO_RATE
    noisy = clean + 0.05 + 0.1 * np.sin(2 * np.pi * 3 * t) + 0.01 * np.sin(2 * np.pi * 60 * t)
    heard = {
        name: listen(x.astype(np.float32)).pitch for name, x in (("clean", clean), ("noisy", noisy))
    }
    assert heard["clean"] is not None and heard["noisy"] is not None, heard
    assert 85 <= heard["clean"].mean_hz <= 180, f"expected a man's pitch, got {heard['clean']}"
    assert heard["noisy"].mean_hz == pytest.approx(heard["clean"].mean_hz, rel=0.05), heard


def test_utterances_never_overlap_and_end_at_pauses(corpus: mfa.Corpus) -> None:
    clips = listen(corpus.samples).clips
    assert clips, f"{corpus.name}: no utterance at all"
    for a, b in itertools.pairwise(clips):
        assert a.start + a.seconds <= b.start + 1e-6, f"{a.start}+{a.seconds} overlaps {b.start}"
        assert b.start - a.end >= 0.6 - 0.2 - 1e-6, "utterances split only at pauses"


def test_a_real_recording_is_transcribed_whole_and_in_time(
    corpus: mfa.Corpus, recognizer: WhisperRecognizer
) -> None:
    """One utterance per call: nothing lost, nothing twice, each word where it was said."""
    clips = listen(corpus.samples).clips
    utterances = transcribe(recognizer, clips, "en")
    wer = word_error_rate(corpus.text, heard_text(utterances))
    # tiny.en (the default) reads the quiet room at 12 % (7 words in 57): "here are" for
    # "here's", "I should" for "that should"; base reaches 7 % (the test below).
    limit = 0.15 if corpus.name == "acoustic_corpus" else 0.25
    assert wer <= limit, f"{corpus.name}: content WER {wer:.0%} > {limit:.0%}: " + heard_text(
        utterances
    )
    assert doubled(utterances) == 0, "a word heard twice"
    for u in utterances:
        assert all(u.start <= w.start <= w.end <= u.end + 0.3 for w in u.words), u
    off = misplaced(utterances, corpus.words)
    # As many words matched as the error rate allows (the hoarse voice: 50 of 64 on an EPYC
    # VM, where CTranslate2's kernels decode it a little differently than on a Xeon one).
    matched = min(0.8, 1.0 - limit)
    assert len(off) >= matched * len(corpus.words), (
        f"only {len(off)} of {len(corpus.words)} words matched the alignment"
    )
    within = np.mean([e <= 0.3 for e in off])
    assert within >= 0.85, f"{within:.0%} of word starts within 0.3 s of MFA's alignment"
    assert max(off) <= 1.0, f"a word {max(off):.2f} s from where it was said"
    wpm = summarise(utterances, "en").words_per_min
    truth = corpus.words_per_minute()
    assert wpm is not None and abs(wpm / truth - 1) <= 0.10, f"{wpm} words/min, truth {truth:.0f}"


def test_the_multilingual_model_meets_the_accuracy_targets_on_real_speech(
    corpus: mfa.Corpus, registry: ModelRegistry
) -> None:
    """Content WER at most 10 % in the quiet room and 25 % with the hoarse voice."""
    base = WhisperRecognizer(registry.bundle(ASR_MODELS["base"]))
    heard = heard_text(transcribe(base, listen(corpus.samples).clips, "en"))
    wer = word_error_rate(corpus.text, heard)
    limit = 0.10 if corpus.name == "acoustic_corpus" else 0.25
    assert wer <= limit, f"{corpus.name} with base: content WER {wer:.0%} > {limit:.0%}: {heard}"


def test_a_conversation_of_real_voices_loses_no_turn(
    registry: ModelRegistry, recognizer: WhisperRecognizer
) -> None:
    """Thirteen turns of a podcast, an audiobook and MFA's speaker with pauses between them,
    one recognition call per utterance: every turn heard, none twice."""
    samples, said = assembled_conversation(registry)
    clips = listen(samples).clips
    utterances = transcribe(recognizer, clips, "en")
    wer = word_error_rate(said, heard_text(utterances))
    assert wer <= 0.3, f"content WER {wer:.0%}: {heard_text(utterances)}"
    assert doubled(utterances) == 0


def test_filled_pauses_on_real_hesitations(
    registry: ModelRegistry, recognizer: WhisperRecognizer
) -> None:
    """18 filled pauses said in 20 clips ("uh um uh hm hm um" is six); cut-offs, laughter,
    "you know" and "'er" meaning "her" are not filled pauses."""
    counts = filled_pauses(recognizer, registry)
    overall = total([c for c, _ in counts.values()])
    detail = {name: (c.said, c.found, text) for name, (c, text) in counts.items()}
    assert overall.said == 18
    assert overall.recall >= 0.8, f"recall {overall.recall:.0%}: {detail}"
    assert overall.precision >= 0.8, f"precision {overall.precision:.0%}: {detail}"


def test_a_synthetic_answer_is_one_utterance_and_keeps_its_fillers(
    recognizer: WhisperRecognizer, tmp_path: Path
) -> None:
    """The answer with six fillers used to break at every short pause into fragments whose
    transcripts invented fillers (13 for 6)."""
    speech = phrase(WITH_FILLERS, tmp_path / "fillers.wav", words_per_minute=150)
    quiet = np.zeros(AUDIO_RATE, np.float32)
    clips = listen(np.concatenate([quiet, speech, quiet])).clips
    assert len(clips) == 1, [(c.start, c.end) for c in clips]
    utterances = transcribe(recognizer, clips, "en")
    found = sum(1 for u in utterances for w in u.words if w.filler == "filled")
    right = min(found, FILLERS_SPOKEN)
    assert right / FILLERS_SPOKEN >= 0.8 and right / max(found, 1) >= 0.8, heard_text(utterances)


def test_espeak_sentences_through_the_stream_core(
    recognizer: WhisperRecognizer, tmp_path: Path
) -> None:
    parts = []
    for i, text in enumerate(INTERVIEW_SENTENCES):
        parts += [phrase(text, tmp_path / f"{i}.wav"), np.zeros(AUDIO_RATE, np.float32)]
    clips = listen(np.concatenate(parts)).clips
    assert len(clips) == len(INTERVIEW_SENTENCES), "one utterance per sentence"
    heard = heard_text(transcribe(recognizer, clips, "en"))
    wer = word_error_rate(" ".join(INTERVIEW_SENTENCES), heard)
    assert wer <= 0.15, f"content WER {wer:.0%}: {heard}"


def _words(*spans: tuple[str, float, float]) -> list[Word]:
    return [Word(text, start, end, 1.0) for text, start, end in spans]


def test_an_elided_her_is_not_a_filled_pause() -> None:
    said = label_words(_words(("know", 0.0, 0.3), (" 'er.", 0.3, 0.5), ("Er,", 1.0, 1.2)), "en")
    assert [w.filler for w in said] == [None, None, "filled"]


@pytest.mark.parametrize(
    ("spans", "fillers"),
    [
        # 这就是我: "this is me", 就是 a verb.
        ((("这", 0.0, 0.2), ("就是", 0.2, 0.5), ("我", 0.5, 0.7)), []),
        # 就是, 我觉得: a stop after it makes it a filler.
        ((("就是\uff0c", 0.0, 0.3), ("我", 0.4, 0.5), ("觉得", 0.5, 0.8)), ["就是\uff0c"]),
        # 那个人是我的同事: "that person", 那个 a determiner.
        ((("那个", 0.0, 0.3), ("人", 0.3, 0.5), ("是", 0.5, 0.6)), []),
        # 那个 ... 我想想: a silence after it, no punctuation written.
        ((("那个", 0.0, 0.3), ("我", 0.8, 0.9), ("想想", 0.9, 1.2)), ["那个"]),
        # 这个项目很重要: "this project".
        ((("这个", 0.0, 0.3), ("项目", 0.3, 0.7), ("很", 0.7, 0.8)), []),
    ],
)
def test_mandarin_discourse_fillers_only_where_used_as_fillers(
    spans: tuple[tuple[str, float, float], ...], fillers: list[str]
) -> None:
    labelled = label_words(_words(*spans), "zh")
    assert [w.word for w in labelled if w.filler == "discourse"] == fillers


def test_mandarin_transcripts_have_no_stray_digits_or_full_width_letters() -> None:
    # Full-width "API", then a full stop and a full-width zero.
    api, stray = "\uff21\uff30\uff29", "\u3002\uff10"
    words = _words(("我们", 0.0, 0.3), ("用", 0.3, 0.4), (api, 0.4, 0.8), (stray, 0.8, 0.9))
    assert [w.word for w in tidy(words, "zh")] == ["我们", "用", "API", "。"]
    counted = _words(("\uff15", 0.0, 0.1), ("个人", 0.1, 0.4))
    assert [w.word for w in tidy(counted, "zh")] == ["5", "个人"], "a number that is said stays"
    assert [w.word for w in tidy(_words(("five", 0, 1), ("0", 1, 2)), "en")] == ["five", "0"]


def test_speech_that_got_no_words_is_counted_missing(recognizer: WhisperRecognizer) -> None:
    noise = np.random.default_rng(0).standard_normal(AUDIO_RATE * 2).astype(np.float32) * 0.01
    clips = [SpeechClip(5.0, 7.0, noise)]
    utterances = transcribe(recognizer, clips, "en")
    assert utterances == [] and unheard_seconds(clips, utterances) == pytest.approx(2.0)


def test_an_unlikely_full_width_number_inside_a_mandarin_utterance_is_left_out() -> None:
    """Whisper ``base`` writes a full-width zero across the pause at a comma (probability 0.09
    on F5-TTS's Mandarin speaker): nobody said it."""
    words = [
        Word("对", 0.0, 0.46, 0.16),
        Word("\uff10", 0.46, 1.02, 0.09),
        Word("这", 1.02, 1.26, 0.76),
        Word("\uff15", 1.3, 1.4, 0.9),
        Word("个人", 1.4, 1.7, 0.9),
    ]
    assert [w.word for w in tidy(words, "zh")] == ["对", "这", "5", "个人"], "a likely one stays"


def test_a_real_mandarin_sentence_keeps_its_first_syllable_and_has_no_stray_digits(
    registry: ModelRegistry,
) -> None:
    """F5-TTS's real Mandarin speaker says "对" and pauses before the rest: through the live
    path (the stream core's utterances, then ``base``) the lone "对" is heard with what
    follows, and the pause gets no invented digit (``bench/mandarin_cer.py`` measures the
    character error rate)."""
    samples = f5.recording(f5.MANDARIN, registry)
    clips = listen(samples, AudioAnalysisOptions(language="cmn")).clips
    assert len(clips) == 1, f"the lone syllable waits for the rest: {[c.start for c in clips]}"
    base = WhisperRecognizer(registry.bundle(ASR_MODELS["base"]))
    heard = "".join(u.text for u in transcribe(base, clips, "cmn"))
    assert heard.startswith("对"), f"the first syllable is kept: heard {heard!r}"
    assert not re.search(r"[0-9\uff10-\uff19]", heard), f"no digit was said: heard {heard!r}"
    english = listen(samples, AudioAnalysisOptions(language="en")).clips
    assert len(english) == 2, "English sessions still cut at every pause the analyzer counts"


def test_a_mandarin_decoding_loop_is_kept_once_and_a_cut_character_dropped() -> None:
    """A clip cut mid-word made ``base`` loop ("这些东西,这些东西,…", "轻轻轻轻…") and end on half
    a character: speech is kept, each loop once."""
    spans = [("对", 0.0, 0.2), ("这些", 0.2, 0.4), ("东西,", 0.4, 0.6)]
    spans += [("这些", 0.6 + i, 0.7 + i) if i % 2 == 0 else ("东西,", 0.6 + i, 0.7 + i)
              for i in range(6)]  # fmt: skip
    spans += [("轻", 7.0 + i / 10, 7.05 + i / 10) for i in range(5)] + [("人\ufffd", 8.0, 8.1)]
    assert [w.word for w in tidy(_words(*spans), "zh")] == ["对", "这些", "东西,", "轻", "人"]
    said = _words(("no", 0.0, 0.2), ("no", 0.2, 0.4), ("no", 0.4, 0.6))
    assert len(tidy(said, "en")) == 3, "English is left as it was said"


def test_a_call_writes_at_most_what_its_audio_can_hold() -> None:
    """A decoding that fails its checks is retried at rising temperatures: bounded by the
    clip's length, a 2.2 s clip's call is no longer 34 CPU seconds."""
    assert max_tokens(2.2) == 43 and max_tokens(25.0) == 224


def test_a_second_voice_a_call_left_out_is_recognised_again(
    recognizer: WhisperRecognizer, registry: ModelRegistry
) -> None:
    """A recorded call: real turns back to back, every other one over a telephone line 6 dB
    down. Whisper wrote words for the first 2.6 s of an 8.2 s utterance and nothing for the
    rest; the coverage check finds the stretch, recognises it again, and the words come back."""
    samples, said = joined(1, -6.0, registry)
    plain, checked, again = compared(recognizer, samples, said)
    assert again > 1.0, f"no stretch recognised again (WER {plain:.0%})"
    assert checked <= plain - 0.04, f"WER {plain:.0%} without the check, {checked:.0%} with it"
