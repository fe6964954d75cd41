"""Pauses and pitch on real recordings: ``python -m bench.delivery_real``.

On MFA's two real recordings (:mod:`testmedia.mfa`: a man talking freely in a quiet room, and
the same man hoarse with a cold in another room), through the stream core as a session goes:

- **pauses**: the silences of 0.6 s or more (``LENS_MIN_PAUSE``) Lens counts, against the gaps
  of 0.6 s or more between MFA's aligned words;
- **pitch**: the mean and spread Lens reads on the recording as it is, and with a DC offset, a
  3 Hz rumble and 60 Hz hum added (a cheap microphone): how far the mean moves.

``--words`` adds the alternative measured and not kept: pauses as the gaps of 0.6 s or more
between the default speech model's word times.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.session.stream import AudioStream, StreamParams
from analyzers.voice.summary import AudioSummary
from analyzers.voice.windows import AudioAnalyzer
from modelfiles.registry import ASR_MODELS, ModelRegistry
from signaling.settings import Settings
from testmedia import mfa

MIN_PAUSE = 0.6


def heard(samples: np.ndarray) -> AudioSummary:
    """The session summary of ``samples`` through the stream core in 100 ms pushes."""
    stream = AudioStream(StreamParams(transcript=False), lambda: AudioAnalyzer(None))
    step = AUDIO_RATE // 10
    for i in range(0, samples.size, step):
        stream.feed(samples[i : i + step], i / AUDIO_RATE)
    stream.end()
    final = stream.finish()
    assert final is not None
    return final.summary


class Timed(Protocol):
    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...


def gaps_between(words: Sequence[Timed]) -> list[tuple[float, float]]:
    """(Where it starts, how long) of each gap of at least :data:`MIN_PAUSE` between words."""
    ordered = sorted(words, key=lambda w: w.start)
    pairs = itertools.pairwise(ordered)
    return [
        (round(a.end, 2), round(b.start - a.end, 2))
        for a, b in pairs
        if b.start - a.end >= MIN_PAUSE
    ]


def aligned_gaps(corpus: mfa.Corpus) -> list[float]:
    """Gaps of at least :data:`MIN_PAUSE` between the aligned words."""
    return [gap for _, gap in gaps_between(corpus.words)]


def word_gaps(corpus: mfa.Corpus, registry: ModelRegistry) -> list[tuple[float, float]]:
    """The gaps between the default speech model's words, one call per utterance as live."""
    from analyzers.words.recognition import WhisperRecognizer, transcribe
    from bench.asr_real import listen

    recognizer = WhisperRecognizer(registry.bundle(ASR_MODELS[Settings().asr_model]))
    utterances = transcribe(recognizer, listen(corpus.samples).clips, "en")
    return gaps_between([w for u in utterances for w in u.words])


def cheap_microphone(samples: np.ndarray) -> np.ndarray:
    t = np.arange(samples.size) / AUDIO_RATE
    noise = 0.05 + 0.1 * np.sin(2 * np.pi * 3 * t) + 0.01 * np.sin(2 * np.pi * 60 * t)
    return (samples + noise).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", action="store_true", help="also pauses from word gaps")
    args = parser.parse_args()
    registry = ModelRegistry()
    print(
        "| recording | pauses in the alignment | Lens | pitch mean (spread) | with rumble and hum "
        "|\n|---|---|---|---|---|"
    )
    for name in ("acoustic_corpus", "cold_corpus"):
        corpus = mfa.corpus(name, registry)
        summary = heard(corpus.samples)
        noisy = heard(cheap_microphone(corpus.samples))
        gaps = aligned_gaps(corpus)
        pitch, moved = summary.pitch, noisy.pitch
        said = f"{pitch.mean_hz:.0f} Hz ({pitch.std_semitones:.1f} st)" if pitch else "none"
        change = (
            f"{moved.mean_hz:.0f} Hz ({(moved.mean_hz / pitch.mean_hz - 1):+.0%})"
            if pitch and moved
            else "none"
        )
        print(
            f"| {name} | {len(gaps)} ({', '.join(f'{g:.2f}' for g in gaps)} s) "
            f"| {summary.pause_count} | {said} | {change} |"
        )
        if args.words:
            found = ", ".join(
                f"{gap:.2f} s at {at:.1f} s" for at, gap in word_gaps(corpus, registry)
            )
            truth = ", ".join(
                f"{gap:.2f} s at {at:.1f} s" for at, gap in gaps_between(corpus.words)
            )
            print(f"  {name}: word gaps {found}; aligned {truth}")


if __name__ == "__main__":
    main()
