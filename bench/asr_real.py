"""Speech analysis on real recordings of people: ``python -m bench.asr_real [--model tiny.en]``.

On MFA's two recordings (:mod:`testmedia.mfa`), run through the stream core as a live session
or an upload would be, then recognised one utterance per call and merged into 30 s calls:

- content WER against the verbatim transcript (filled pauses left out of both), words heard
  twice, words whose time is more than 0.3 s from MFA's alignment of the same word;
- the talk ratio against the aligned words', and words per minute against the aligned words
  over first word to last;
- CPU per second of speech for each strategy.

Then a conversation assembled from real conversational clips in MFA's package (a podcast, an
audiobook reader, MFA's speaker) with pauses between the turns (the same two strategies), and
filled pauses on the 20 clips of :data:`testmedia.mfa.FILLER_CLIPS`: recall and precision
against what was said ("uh um uh" is three).
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.session.stream import AudioStream, StreamParams
from analyzers.voice.summary import PitchStats
from analyzers.voice.windows import AudioAnalysisOptions, AudioAnalyzer
from analyzers.words.language import FILLED_PAUSES, Utterance, normalise, summarise, word_error_rate
from analyzers.words.recognition import (
    Recognition,
    SpeechClip,
    SpeechRecognizer,
    Strategy,
    WhisperRecognizer,
    batches,
    merge,
    transcribe,
    utterances_of,
)
from modelfiles.registry import ASR_MODELS, ModelRegistry
from testmedia import mfa
from testmedia.scoring import Counted

LAYOUTS = 8
"""Conversations assembled, each with its own pauses between turns (0.7-3 s, seeded): whether
a merged call loses a turn depends on where the turns fall in its window."""


def layout(seed: int) -> list[float]:
    return [round(g, 1) for g in np.random.default_rng(seed).uniform(0.7, 3.0, 13)]


STRATEGIES: dict[str, str] = {
    "single": "one per call (used)",
    "merged": "merged",
    "checked": "merged, checked",
}


@dataclass(frozen=True)
class Listened:
    """What the stream core made of a recording."""

    clips: list[SpeechClip]
    talk_ratio: float
    pitch: PitchStats | None


def listen(samples: np.ndarray, options: AudioAnalysisOptions | None = None) -> Listened:
    """``samples`` through the stream core in 100 ms pushes, as a session or an upload."""
    stream = AudioStream(
        StreamParams(transcript=True, partial_every=0.0), lambda: AudioAnalyzer(options)
    )
    clips: list[SpeechClip] = []
    step = AUDIO_RATE // 10
    for i in range(0, samples.size, step):
        clips += stream.feed(samples[i : i + step], i / AUDIO_RATE).clips
    clips += stream.end().clips
    final = stream.finish()
    assert final is not None
    return Listened(clips, final.summary.talk_ratio or 0.0, final.summary.pitch)


def heard_text(utterances: Sequence[Utterance]) -> str:
    return " ".join(u.text for u in utterances)


def doubled(utterances: Sequence[Utterance]) -> int:
    """Words whose time overlaps the word before them: the same audio heard twice."""
    words = [w for u in utterances for w in u.words]
    return sum(1 for a, b in itertools.pairwise(words) if b.start < a.end - 0.05)


def misplaced(utterances: Sequence[Utterance], truth: Sequence[mfa.AlignedWord]) -> list[float]:
    """For each recognised word that matches an aligned word (in order), how far its start is
    from the alignment's, in seconds."""
    heard = [w for u in utterances for w in u.words if normalise(w.word)]
    said = [normalise(w.word) for w in truth]
    matcher = difflib.SequenceMatcher(a=[normalise(w.word) for w in heard], b=said, autojunk=False)
    errors = []
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            errors.append(abs(heard[block.a + k].start - truth[block.b + k].start))
    return errors


MIN_WORDS_PER_SECOND = 0.3
"""A clip merged with others that got fewer words than this per second of its speech (a person
says 2-3 a second, slow speech 1) lost them in the merged call."""


def doubted(recognition: Recognition, placed: Sequence[tuple[float, SpeechClip]]) -> set[int]:
    """The clips of a merged call whose words do not hold up: a word placed in the silence
    between two clips (its time drifted, so it may belong to either), or a clip with fewer than
    :data:`MIN_WORDS_PER_SECOND` words per second of its speech (the call skipped it)."""
    counts = [0] * len(placed)
    bad: set[int] = set()
    for w in recognition.words:
        middle = (w.start + w.end) / 2
        index = max(0, sum(1 for offset, _ in placed if offset <= middle) - 1)
        offset, clip = placed[index]
        counts[index] += 1
        if middle > offset + clip.seconds:
            bad |= {index, min(index + 1, len(placed) - 1)}
    for i, (_, clip) in enumerate(placed):
        speech = clip.end - clip.start
        if speech >= 1.0 and counts[i] < MIN_WORDS_PER_SECOND * speech:
            bad.add(i)
    return bad


def checked(
    recognizer: SpeechRecognizer, clips: Sequence[SpeechClip], language: str
) -> list[Utterance]:
    """Merged calls, with every clip whose words do not hold up (:func:`doubted`) recognised
    again alone."""
    out: list[Utterance] = []
    for batch in batches(clips):
        samples, placed = merge(batch)
        recognition = recognizer.recognize(samples, language)
        again = {round(batch[i].start, 3) for i in doubted(recognition, placed)}
        heard = [u for u in utterances_of(recognition, placed, language) if u.start not in again]
        for clip in (c for c in batch if round(c.start, 3) in again):
            heard += transcribe(recognizer, [clip], language)
        out += sorted(heard, key=lambda u: u.start)
    return out


def recognised(
    recognizer: SpeechRecognizer, clips: Sequence[SpeechClip], strategy: str
) -> tuple[list[Utterance], float]:
    """The utterances (``strategy``: ``single``, ``merged`` or ``checked``) and the CPU seconds
    they took."""
    started = time.process_time()
    if strategy == "checked":
        utterances = checked(recognizer, clips, "en")
    else:
        used: Strategy = "merged" if strategy == "merged" else "single"
        utterances = transcribe(recognizer, clips, "en", strategy=used)
    return utterances, time.process_time() - started


def conversation(
    registry: ModelRegistry | None = None, gaps: Sequence[float] = (1.2, 2.0, 0.9, 3.5, 1.5)
) -> tuple[np.ndarray, str]:
    """Real conversational clips one after another with pauses between the turns, and what
    was said."""
    clips = mfa.conversation_clips(registry)
    parts, said = [], []
    for i, (name, samples) in enumerate(clips.items()):
        gap = gaps[i % len(gaps)]
        parts += [samples, np.zeros(round(gap * AUDIO_RATE), np.float32)]
        said.append(mfa.CONVERSATION_CLIPS[name][1])
    return np.concatenate(parts), " ".join(said)


FillerCount = Counted
"""Filled pauses said, found, and found right (at most as many as said, per clip)."""


def filled_pauses(
    recognizer: SpeechRecognizer,
    registry: ModelRegistry | None = None,
    strategy: Strategy = "single",
) -> dict:
    """Per clip: filled pauses said and found (each clip through the stream core)."""
    out = {}
    for name, samples in mfa.filler_clips(registry).items():
        listened = listen(samples)
        utterances = transcribe(recognizer, listened.clips, "en", strategy=strategy)
        found = sum(1 for u in utterances for w in u.words if w.filler == "filled")
        said = mfa.FILLER_CLIPS[name][2]
        right = min(said, found)
        out[name] = (FillerCount(right=right, found=found, said=said), heard_text(utterances))
    return out


def total(counts: Sequence[FillerCount]) -> FillerCount:
    return FillerCount(
        right=sum(c.right for c in counts),
        found=sum(c.found for c in counts),
        said=sum(c.said for c in counts),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en", choices=sorted(ASR_MODELS))
    args = parser.parse_args()
    registry = ModelRegistry()
    recognizer = WhisperRecognizer(registry.bundle(ASR_MODELS[args.model]))
    print(f"model {args.model}\n")
    print(
        "| recording | strategy | content WER | words twice | words > 0.3 s off | talk ratio "
        "(truth) | words/min (truth) | CPU s per s of speech |\n|---|---|---|---|---|---|---|---|"
    )
    for name in ("acoustic_corpus", "cold_corpus"):
        corpus = mfa.corpus(name, registry)
        listened = listen(corpus.samples)
        speech = sum(c.end - c.start for c in listened.clips)
        for strategy in STRATEGIES:
            utterances, cpu = recognised(recognizer, listened.clips, strategy)
            off = misplaced(utterances, corpus.words)
            summary = summarise(utterances, "en")
            print(
                f"| {name} | {STRATEGIES[strategy]} "
                f"| {word_error_rate(corpus.text, heard_text(utterances)):.0%} "
                f"| {doubled(utterances)} | {sum(e > 0.3 for e in off)} of {len(off)} "
                f"| {listened.talk_ratio:.2f} ({corpus.talk_ratio():.2f}) "
                f"| {summary.words_per_min} ({corpus.words_per_minute():.0f}) "
                f"| {cpu / speech:.3f} |"
            )
    wers: dict[str, list[float]] = {strategy: [] for strategy in STRATEGIES}
    cpus: dict[str, list[float]] = {strategy: [] for strategy in STRATEGIES}
    for seed in range(LAYOUTS):
        samples, said = conversation(registry, layout(seed))
        listened = listen(samples)
        speech = sum(c.end - c.start for c in listened.clips)
        for strategy in STRATEGIES:
            utterances, cpu = recognised(recognizer, listened.clips, strategy)
            wers[strategy].append(word_error_rate(said, heard_text(utterances)))
            cpus[strategy].append(cpu / speech)
    print(
        f"\n{LAYOUTS} conversations of 13 real turns, pauses 0.7-3 s\n\n"
        "| strategy | content WER median | worst | layouts losing over a quarter of the words "
        "| CPU s per s of speech |\n|---|---|---|---|---|"
    )
    for strategy, name in STRATEGIES.items():
        print(
            f"| {name} | {np.median(wers[strategy]):.0%} | {max(wers[strategy]):.0%} "
            f"| {sum(w > 0.25 for w in wers[strategy])} of {LAYOUTS} "
            f"| {np.median(cpus[strategy]):.3f} |"
        )
    compared: tuple[Strategy, ...] = ("single", "merged")
    for kind in compared:
        print(
            f"\nfilled pauses, {STRATEGIES[kind]}\n\n"
            "| clip | filled pauses said | found | heard |\n|---|---|---|---|"
        )
        counts = filled_pauses(recognizer, registry, kind)
        for name, (count, text) in counts.items():
            print(f"| {name} | {count.said} | {count.found} | {text} |")
        all_counts = total([c for c, _ in counts.values()])
        print(
            f"\nrecall {all_counts.right}/{all_counts.said} = {all_counts.recall:.0%}, "
            f"precision {all_counts.right}/{all_counts.found} = {all_counts.precision:.0%}"
        )
    print(f"(filled-pause words: {', '.join(sorted(FILLED_PAUSES['en']))})")


if __name__ == "__main__":
    main()
