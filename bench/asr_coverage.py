"""Nothing skipped: ``python -m bench.asr_coverage [--model tiny.en] [--seeds 4]``.

Real conversational turns from MFA's package (:data:`testmedia.mfa.CONVERSATION_CLIPS`: a
podcast, a LibriSpeech reader, MFA's speaker) joined **without pauses**, in seeded orders, as
one recording, through the stream core as a live session or an upload goes:

- as they are (one voice after another, no pause to cut at);
- as a recorded call: every other turn over a telephone line (300-3400 Hz) 6, 14 and 20 dB
  down, the second voice a recorder hears.

Each recognised one utterance per call, with and without the coverage check
(:mod:`analyzers.words.coverage`): content WER against what was said, and the seconds of audio
recognised again.
"""

from __future__ import annotations

import argparse

import numpy as np
import scipy.signal as sg

from analyzers import AUDIO_RATE
from analyzers.words.language import Utterance, word_error_rate
from analyzers.words.recognition import (
    SpeechRecognizer,
    WhisperRecognizer,
    recheck_clip,
    transcribe,
)
from bench.asr_real import heard_text, listen
from modelfiles.registry import ASR_MODELS, ModelRegistry
from testmedia import mfa

LINE = (300.0, 3400.0)
"""A telephone line's band, Hz."""


def telephone(samples: np.ndarray, gain_db: float) -> np.ndarray:
    """``samples`` as heard over a telephone line, ``gain_db`` quieter."""
    b, a = sg.butter(4, [LINE[0] / (AUDIO_RATE / 2), LINE[1] / (AUDIO_RATE / 2)], btype="band")
    return (sg.lfilter(b, a, samples) * 10 ** (gain_db / 20)).astype(np.float32)


def joined(
    seed: int, gain_db: float | None = None, registry: ModelRegistry | None = None
) -> tuple[np.ndarray, str]:
    """The conversational turns in a seeded order, back to back, every other one over a
    telephone line ``gain_db`` down (``None``: all as recorded); and what was said."""
    clips = mfa.conversation_clips(registry)
    order = list(np.random.default_rng(seed).permutation(list(clips)))
    parts = [
        clips[name] if gain_db is None or i % 2 == 0 else telephone(clips[name], gain_db)
        for i, name in enumerate(order)
    ]
    return np.concatenate(parts), " ".join(mfa.CONVERSATION_CLIPS[n][1] for n in order)


def compared(
    recognizer: SpeechRecognizer, samples: np.ndarray, said: str
) -> tuple[float, float, float]:
    """Content WER without and with the coverage check, and the seconds recognised again."""
    clips = listen(samples).clips
    plain = transcribe(recognizer, clips, "en", check=False)
    checked: list[Utterance] = []
    again = 0.0
    for clip in clips:  # the same first calls, then the check, as transcribe makes them
        heard = [u for u in plain if u.start == round(clip.start, 3)]
        whole, seconds = recheck_clip(recognizer, clip, heard, "en")
        checked += whole
        again += seconds
    return (
        word_error_rate(said, heard_text(plain)),
        word_error_rate(said, heard_text(checked)),
        again,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en", choices=sorted(ASR_MODELS))
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    registry = ModelRegistry()
    recognizer = WhisperRecognizer(registry.bundle(ASR_MODELS[args.model]))
    print(
        "| recording | orders | WER without the check (median) | with it | orders re-cut "
        "| orders worse | seconds recognised again |\n|---|---|---|---|---|---|---|"
    )
    for gain in (None, -6.0, -14.0, -20.0):
        rows = [compared(recognizer, *joined(seed, gain, registry)) for seed in range(args.seeds)]
        plain, checked, again = (np.array(column) for column in zip(*rows, strict=True))
        name = "turns back to back" if gain is None else f"second voice on a line, {gain:.0f} dB"
        print(
            f"| {name} | {args.seeds} | {np.median(plain):.0%} | {np.median(checked):.0%} "
            f"| {int((again > 0).sum())} | {int((checked > plain + 1e-9).sum())} "
            f"| {again.sum():.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
