"""How long real speakers pause inside an answer, to set the silence that ends one
(``LENS_INTERVIEW_END_SILENCE``): ``python -m bench.answer_silence``.

On MFA's two real recordings of a man speaking (a quiet room; the same man hoarse with a cold,
in another room): the gaps between the aligned words' phrases (truth), and the silences the
analyzer's voice activity reports between a ``speech.stopped`` and the next ``speech.started``
(what the interview flow sees). An answer must not end inside any of them.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.voice.speech_events import SpeechStarted, SpeechStopped
from analyzers.voice.windows import AudioAnalysisOptions, AudioAnalyzer
from testmedia import mfa


def vad_silences(samples: np.ndarray) -> list[float]:
    analyzer = AudioAnalyzer(AudioAnalysisOptions())
    step = AUDIO_RATE // 10
    stopped: float | None = None
    silences: list[float] = []
    for i in range(0, samples.size, step):
        for output in analyzer.push(samples[i : i + step], i / AUDIO_RATE):
            event = getattr(output, "event", output)
            if isinstance(event, SpeechStopped):
                stopped = event.t
            elif isinstance(event, SpeechStarted) and stopped is not None:
                silences.append(event.t - stopped)
                stopped = None
    return silences


def row(name: str, values: list[float]) -> str:
    if not values:
        return f"| {name} | 0 | | | | |"
    a = np.asarray(values)
    return (
        f"| {name} | {a.size} | {np.median(a):.2f} | {np.percentile(a, 95):.2f} | "
        f"{np.percentile(a, 99):.2f} | {a.max():.2f} |"
    )


def main() -> None:
    print("| pauses | count | median s | p95 s | p99 s | longest s |")
    print("|---|---|---|---|---|---|")
    every_truth: list[float] = []
    every_vad: list[float] = []
    for name in mfa.CORPUS_FILES:
        corpus = mfa.corpus(name)
        spans = corpus.speech_spans()
        truth = [b[0] - a[1] for a, b in pairwise(spans)]
        heard = vad_silences(corpus.samples)
        every_truth += truth
        every_vad += heard
        print(row(f"{name}: between phrases (aligned words)", truth))
        print(row(f"{name}: silences the voice activity reports", heard))
        print(f"|   ({corpus.seconds:.0f} s of speech) | | | | | |")
    print(row("both: aligned", every_truth))
    print(row("both: voice activity", every_vad))


if __name__ == "__main__":
    main()
