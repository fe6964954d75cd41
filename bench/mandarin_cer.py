"""Mandarin recognition on real speech: each real Mandarin recording with its text that ships
inside a package, through the same path as a live session (the stream core's voice activity
cuts the utterances, then the recogniser), for every multilingual model the registry has.

For each: the character error rate (Han characters only: punctuation and spaces are not
words), whether the first character was kept, stray digits or full-width Latin in the words,
and CPU seconds per second of speech.

    python -m bench.mandarin_cer
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.voice.windows import AudioAnalysisOptions
from analyzers.words.recognition import WhisperRecognizer, transcribe
from bench.asr_real import listen
from modelfiles.registry import ASR_MODELS, ModelRegistry
from testmedia import f5

HAN = re.compile(r"[\u4e00-\u9fff]")
STRAY = re.compile(r"[0-9\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
"""ASCII or full-width digits, full-width Latin: never in a spoken Mandarin sentence's text."""
RECORDINGS = [("f5-tts basic_ref_zh", f5.MANDARIN, f5.MANDARIN_TEXT)]
"""Real Mandarin with its text, inside packages (F5-TTS's wheel): the only one found; see
``docs/analyzers.md``, "Mandarin recognition"."""


def han(text: str) -> str:
    return "".join(HAN.findall(text))


def edits(truth: str, heard: str) -> int:
    """Levenshtein distance between two character strings."""
    row = list(range(len(heard) + 1))
    for i, a in enumerate(truth, 1):
        previous, row[0] = row[0], i
        for j, b in enumerate(heard, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (a != b))
    return row[-1]


@dataclass(frozen=True)
class Measured:
    recording: str
    model: str
    heard: str
    cer: float
    first_kept: bool
    stray: list[str]
    cpu_per_speech_second: float


def measure(name: str, samples: np.ndarray, text: str, model: str) -> Measured:
    recognizer = WhisperRecognizer(ModelRegistry().bundle(ASR_MODELS[model]), name=model)
    clips = listen(samples, AudioAnalysisOptions(language="cmn")).clips
    started = time.process_time()
    utterances = transcribe(recognizer, clips, "cmn")
    cpu = time.process_time() - started
    heard = "".join(u.text for u in utterances)
    truth = han(text)
    speech = sum(c.seconds for c in clips) or samples.size / AUDIO_RATE
    return Measured(
        name,
        model,
        heard,
        edits(truth, han(heard)) / len(truth),
        han(heard)[:1] == truth[:1],
        STRAY.findall(heard),
        cpu / speech,
    )


def main() -> None:
    multilingual = [name for name in ASR_MODELS if not name.endswith(".en")]
    print("| recording | model | heard | CER | first character | stray | CPU s / speech s |")
    print("|---|---|---|---|---|---|---|")
    for name, member, text in RECORDINGS:
        samples = f5.recording(member)
        for model in multilingual:
            m = measure(name, samples, text, model)
            print(
                f"| {m.recording} | {m.model} | {m.heard} | {m.cer:.0%} | "
                f"{'kept' if m.first_kept else 'lost'} | {''.join(m.stray) or 'none'} | "
                f"{m.cpu_per_speech_second:.2f} |"
            )


if __name__ == "__main__":
    main()
