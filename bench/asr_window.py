"""What fitting Whisper's encoder window to the utterance costs in accuracy, and saves in CPU:
``python -m bench.asr_window [--model tiny.en] [--windows 30,20,15,10]``.

Whisper pads every call to a 30 s window and its encoder, most of a call's cost, works on all
of it. ``LENS_ASR_WINDOW`` gives the encoder only a second past the audio (at least that many
seconds). On MFA's two recordings and a conversation of its real conversational clips, cut by
the stream core as a live session cuts them: content WER against the verbatim transcript,
words more than 0.3 s from MFA's alignment, and CPU seconds per second of speech, per window
(30: today). Run it pinned to one core (``taskset -c 0``).
"""

from __future__ import annotations

import argparse
import time

from analyzers.words.language import word_error_rate
from analyzers.words.recognition import WhisperRecognizer, transcribe
from bench.asr_real import conversation, heard_text, listen, misplaced
from modelfiles.registry import ASR_MODELS, ModelRegistry
from testmedia import mfa


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en", choices=sorted(ASR_MODELS))
    parser.add_argument("--windows", default="30,20,15,10")
    args = parser.parse_args()
    registry = ModelRegistry()
    recordings = []
    for name in ("acoustic_corpus", "cold_corpus"):
        corpus = mfa.corpus(name, registry)
        recordings.append((name, listen(corpus.samples).clips, corpus.text, corpus.words))
    samples, said = conversation(registry)
    recordings.append(("conversation", listen(samples).clips, said, ()))
    print(
        f"model {args.model}\n\n| window | recording | content WER | words > 0.3 s off "
        "| CPU s per s of speech |\n|---|---|---|---|---|"
    )
    for window in (float(w) for w in args.windows.split(",")):
        recognizer = WhisperRecognizer(
            registry.bundle(ASR_MODELS[args.model]), window=None if window >= 30 else window
        )
        transcribe(recognizer, recordings[0][1][:1], "en")  # warm
        for name, clips, text, words in recordings:
            started = time.process_time()
            heard = transcribe(recognizer, clips, "en")
            cpu = time.process_time() - started
            speech = sum(c.seconds for c in clips)
            off = misplaced(heard, words) if words else []
            placed = f"{sum(e > 0.3 for e in off)} of {len(off)}" if words else "-"
            print(
                f"| {window:g} s | {name} | {word_error_rate(text, heard_text(heard)):.1%} "
                f"| {placed} | {cpu / speech:.3f} |"
            )


if __name__ == "__main__":
    main()
