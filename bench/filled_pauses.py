"""Filled pauses found by the recogniser (with the server's prompt, without it), by the acoustic
detector, and by both together: recall and precision against speech whose filled pauses are
known.

    python -m bench.filled_pauses [--model tiny.en] [--voices en,en-us,en+f3,en+m3]
                                  [--rates 140,180]

The test speech is :data:`testmedia.sources.WITH_FILLERS` (six "um"/"uh"), each piece spoken by
espeak-ng on its own and joined with 60 ms of silence, so the true filled pauses are known to the
sample. Two renderings of the filled pauses: as espeak-ng says the word (a short vowel, like any
word), and drawn out, the way people hold one while they think (espeak-ng at a fifth of the
rate). Precision is also counted on speech with none: the five interview sentences in the same
voices, and two real recordings (CMU ARCTIC a0001, a reading of Shakespeare's first sonnet), where
every detection is a false one. A detection is a hit when it overlaps a true filled pause (or
comes within 0.5 s of one: the recogniser's word times drift that much); two detections of one
pause count once.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.words.recognition import SpeechClip, WhisperRecognizer, transcribe
from bench.acoustic_fillers import FilledPauseOptions, detect
from modelfiles.registry import ASR_MODELS, ModelRegistry, default_cache_dir
from testmedia.sources import INTERVIEW_SENTENCES, WITH_FILLERS, phrase, recorded_speech, sonnet

FILLER = re.compile(r"\b(um|uh)\b,?\s*", re.IGNORECASE)
JOIN = np.zeros(int(0.06 * AUDIO_RATE), np.float32)
TOLERANCE = 0.5

Span = tuple[float, float]


@dataclass
class Clip:
    name: str
    samples: np.ndarray
    truth: list[Span]


@dataclass
class Tally:
    hits: int = 0
    truth: int = 0
    false: int = 0
    detections: list[str] = field(default_factory=list)

    def add(self, found: Sequence[Span], truth: Sequence[Span]) -> None:
        near = [any(a < e + TOLERANCE and s < b + TOLERANCE for s, e in truth) for a, b in found]
        self.false += near.count(False)
        self.hits += sum(
            1 for s, e in truth if any(a < e + TOLERANCE and s < b + TOLERANCE for a, b in found)
        )
        self.truth += len(truth)

    def recall(self) -> str:
        return f"{self.hits}/{self.truth} ({self.hits / self.truth:.0%})" if self.truth else "-"

    def precision(self) -> str:
        said = self.hits + self.false
        return f"{self.hits / said:.0%}" if said else "-"


def pieces(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (words, is a filled pause)."""
    out: list[tuple[str, bool]] = []
    at = 0
    for m in FILLER.finditer(text):
        if text[at : m.start()].strip():
            out.append((text[at : m.start()].strip(), False))
        out.append((m.group(1), True))
        at = m.end()
    if text[at:].strip():
        out.append((text[at:].strip(), False))
    return out


def spoken(
    text: str, voice: str, rate: int, drawn_out: bool, folder: Path
) -> tuple[np.ndarray, list[Span]]:
    chunks: list[np.ndarray] = []
    truth: list[Span] = []
    at = 0
    for i, (words, filled) in enumerate(pieces(text)):
        path = folder / f"{i}.wav"
        if filled and drawn_out:
            ssml = f'<speak><prosody rate="20%">{words}</prosody></speak>'
            samples = phrase(ssml, path, voice=voice, words_per_minute=rate, extra=("-m",))
        else:
            samples = phrase(words, path, voice=voice, words_per_minute=rate)
        if filled:
            truth.append((at / AUDIO_RATE, (at + samples.size) / AUDIO_RATE))
        chunks += [samples, JOIN]
        at += samples.size + JOIN.size
    return np.concatenate(chunks), truth


def acoustic(samples: np.ndarray, options: FilledPauseOptions) -> list[Span]:
    return [(p.start, p.end) for p in detect(samples, options)]


def recognised(recognizer: WhisperRecognizer, samples: np.ndarray) -> tuple[list[Span], list[Span]]:
    """(filled pauses, other words) the recogniser wrote, as time spans."""
    utterances = transcribe(recognizer, [SpeechClip(0.0, samples.size / AUDIO_RATE, samples)], "en")
    words = [w for u in utterances for w in u.words]
    return (
        [(w.start, w.end) for w in words if w.filler == "filled"],
        [(w.start, w.end) for w in words if w.filler != "filled"],
    )


def combined(filled: list[Span], others: list[Span], sounds: list[Span]) -> list[Span]:
    """The recogniser's filled pauses, and the acoustic ones it wrote no word over."""

    def covered(span: Span) -> bool:
        s, e = span
        inside = sum(max(0.0, min(e, b) - max(s, a)) for a, b in others + filled)
        return inside > 0.5 * (e - s)

    return filled + [s for s in sounds if not covered(s)]


def corpus(voices: list[str], rates: list[int], folder: Path) -> dict[str, list[Clip]]:
    sets: dict[str, list[Clip]] = {"espeak-ng's um/uh": [], "drawn out": [], "none (synthetic)": []}
    for voice in voices:
        for rate in rates:
            for name, drawn in (("espeak-ng's um/uh", False), ("drawn out", True)):
                samples, truth = spoken(WITH_FILLERS, voice, rate, drawn, folder)
                sets[name].append(Clip(f"{voice}@{rate}", samples, truth))
            fluent = [
                phrase(t, folder / "s.wav", voice=voice, words_per_minute=rate)
                for t in INTERVIEW_SENTENCES
            ]
            sets["none (synthetic)"].append(
                Clip(f"{voice}@{rate}", np.concatenate([x for s in fluent for x in (s, JOIN)]), [])
            )
    registry = ModelRegistry(default_cache_dir())
    sets["none (recorded)"] = [
        Clip("arctic a0001", recorded_speech(registry)[0], []),
        Clip("sonnet", sonnet(registry), []),
    ]
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--voices", default="en,en-us,en+f3,en+m3")
    parser.add_argument("--rates", default="140,180")
    parser.add_argument("--min-durations", default="0.2,0.25,0.3,0.35")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    registry = ModelRegistry(default_cache_dir())
    bundle = registry.bundle(ASR_MODELS[args.model])
    prompted = WhisperRecognizer(bundle)
    bare = WhisperRecognizer(bundle, prompts={})
    with tempfile.TemporaryDirectory() as tmp:
        sets = corpus(args.voices.split(","), [int(r) for r in args.rates.split(",")], Path(tmp))
    minimums = [float(m) for m in args.min_durations.split(",")]
    approaches: dict[str, Callable[[Clip], list[Span]]] = {}
    cache: dict[tuple[str, int], tuple[list[Span], list[Span]]] = {}

    def words_of(which: str, clip: Clip) -> tuple[list[Span], list[Span]]:
        key = (which, id(clip))
        if key not in cache:
            cache[key] = recognised(prompted if which == "prompt" else bare, clip.samples)
        return cache[key]

    approaches[f"recogniser, no prompt ({args.model})"] = lambda c: words_of("bare", c)[0]
    approaches[f"recogniser + prompt ({args.model})"] = lambda c: words_of("prompt", c)[0]

    def by_sound(options: FilledPauseOptions) -> Callable[[Clip], list[Span]]:
        return lambda c: acoustic(c.samples, options)

    def by_both(options: FilledPauseOptions) -> Callable[[Clip], list[Span]]:
        return lambda c: combined(*words_of("prompt", c), acoustic(c.samples, options))

    for m in minimums:
        approaches[f"acoustic, ≥ {m:.2f} s"] = by_sound(FilledPauseOptions(min_duration=m))
    for m in minimums[:2]:
        label = f"recogniser + prompt, and acoustic (≥ {m:.2f} s) where it wrote no word"
        approaches[label] = by_both(FilledPauseOptions(min_duration=m))
    names = list(sets)
    print(
        "| approach | recall, espeak-ng's um/uh | recall, drawn out | false detections: "
        "synthetic without / recorded without | precision (all) |"
    )
    print("|---|---|---|---|---|")
    for label, find in approaches.items():
        tallies = {n: Tally() for n in names}
        overall = Tally()
        for n in names:
            for clip in sets[n]:
                found = find(clip)
                tallies[n].add(found, clip.truth)
                overall.add(found, clip.truth)
                if args.verbose:
                    spans = [(round(a, 2), round(b, 2)) for a, b in found]
                    print(f"  {label} / {n} / {clip.name}: {spans}, truth {clip.truth}")
        print(
            f"| {label} | {tallies[names[0]].recall()} | {tallies[names[1]].recall()} | "
            f"{tallies[names[2]].false}, {tallies[names[3]].false} | {overall.precision()} |"
        )


if __name__ == "__main__":
    main()
