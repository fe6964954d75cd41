"""Speech recognition per model: CPU per call and per second of speech, word error rate, and
filled pauses kept, on espeak-ng speech whose text is known.

    python -m bench.asr [--models base,tiny.en] [--runs 3]

Each model runs with one CTranslate2 thread (as the server runs it). English: five interview
sentences, each its own call and then all five merged into one call (the encoder costs the
same for 5 s as for 30 s); fillers: one sentence with six spoken "um"/"uh", with the prompt the
server uses and without. Prints medians over ``--runs`` runs as a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.words.language import word_error_rate
from analyzers.words.recognition import SpeechClip, WhisperRecognizer, transcribe
from modelfiles.registry import ASR_MODELS, ModelRegistry, default_cache_dir
from testmedia.sources import INTERVIEW_SENTENCES, WITH_FILLERS, phrase

ENGLISH = INTERVIEW_SENTENCES


def clips_of(samples: list[np.ndarray]) -> list[SpeechClip]:
    return [SpeechClip(10.0 * i, 10.0 * i + s.size / AUDIO_RATE, s) for i, s in enumerate(samples)]


def measure(recognizer: WhisperRecognizer, english: list[np.ndarray], fillers: np.ndarray) -> dict:
    clips = clips_of(english)
    speech = sum(c.seconds for c in clips)
    started = time.process_time()
    one_by_one = [u for c in clips for u in transcribe(recognizer, [c], "en")]
    per_call = (time.process_time() - started) / len(clips)
    started = time.process_time()
    merged = transcribe(recognizer, clips, "en", strategy="merged")
    merged_cpu = time.process_time() - started
    heard = transcribe(recognizer, [SpeechClip(0, 0, fillers)], "en")
    kept = sum(1 for u in heard for w in u.words if w.filler == "filled")
    return {
        "cpu_per_call": per_call,
        "cpu_per_speech_second_one_by_one": per_call * len(clips) / speech,
        "cpu_per_speech_second_merged": merged_cpu / speech,
        "wer": word_error_rate(" ".join(ENGLISH), " ".join(u.text for u in one_by_one)),
        "wer_merged": word_error_rate(" ".join(ENGLISH), " ".join(u.text for u in merged)),
        "fillers_kept": kept,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="base,tiny.en")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    registry = ModelRegistry(default_cache_dir())
    with tempfile.TemporaryDirectory() as tmp:
        english = [phrase(text, Path(tmp) / f"{i}.wav") for i, text in enumerate(ENGLISH)]
        fillers = phrase(WITH_FILLERS, Path(tmp) / "f.wav", words_per_minute=150)
    print(
        "| model | CPU s per call | CPU s per s of speech (one call each / merged) | WER "
        "(each / merged) | fillers kept of 6 (prompt / none) |"
    )
    print("|---|---|---|---|---|")
    for name in args.models.split(","):
        recognizer = WhisperRecognizer(registry.bundle(ASR_MODELS[name]))
        transcribe(recognizer, clips_of(english[:1]), "en")  # warm up
        runs = [measure(recognizer, english, fillers) for _ in range(args.runs)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        bare = WhisperRecognizer(registry.bundle(ASR_MODELS[name]), prompts={})
        no_prompt = sum(
            1
            for u in transcribe(bare, [SpeechClip(0, 0, fillers)], "en")
            for w in u.words
            if w.filler == "filled"
        )
        print(
            f"| {name} | {med['cpu_per_call']:.2f} | "
            f"{med['cpu_per_speech_second_one_by_one']:.3f} / "
            f"{med['cpu_per_speech_second_merged']:.3f} | "
            f"{med['wer']:.0%} / {med['wer_merged']:.0%} | "
            f"{med['fillers_kept']:.0f} / {no_prompt} |"
        )


if __name__ == "__main__":
    main()
