"""Utterances of several sessions in one CTranslate2 batch, against one call each:
``python -m bench.asr_batching [--model tiny.en] [--batch 1,2,4,8] [--rounds 3]``.

The utterances are real people's: MFA's two recordings and its conversational clips, cut by the
stream core as a live session cuts them. Every batch size decodes all of them, ``--batch``
at a time from as many threads (as that many sessions would), with
:mod:`analyzers.words.batching`; size 1 is today's one call per utterance. Printed per size:
whether every utterance's words and word times are those of one call each, CPU seconds (of
this process) per second of speech, the wall time, and the batches run. Run it pinned to one
core (``taskset -c 0``) for the figure a recogniser on one core gives.
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

from analyzers.words.batching import Rendezvous
from analyzers.words.recognition import SpeechClip, WhisperRecognizer, transcribe
from bench.asr_real import listen
from modelfiles.registry import ASR_MODELS, ModelRegistry
from testmedia import mfa


def utterances(registry: ModelRegistry) -> list[SpeechClip]:
    clips: list[SpeechClip] = []
    for name in ("acoustic_corpus", "cold_corpus"):
        clips += listen(mfa.corpus(name, registry).samples).clips
    for samples in mfa.conversation_clips(registry).values():
        clips += listen(samples).clips
    return clips


def words_of(recognizer: WhisperRecognizer, clip: SpeechClip) -> tuple:
    said = transcribe(recognizer, [clip], "en")
    return tuple((w.word, round(w.start, 2), round(w.end, 2)) for u in said for w in u.words)


def run(
    model: str, batch: int, clips: list[SpeechClip], registry: ModelRegistry
) -> tuple[list[tuple], float, float, dict[int, int]]:
    rendezvous = Rendezvous(max_batch=batch) if batch > 1 else None
    recognizer = WhisperRecognizer(registry.bundle(ASR_MODELS[model]), rendezvous=rendezvous)
    words_of(recognizer, clips[0])  # warm

    def one(clip: SpeechClip) -> tuple:
        if rendezvous is None:
            return words_of(recognizer, clip)
        with rendezvous.taking_part():
            return words_of(recognizer, clip)

    cpu, wall = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(batch) as pool:
        found = list(pool.map(one, clips))
    sizes = dict(sorted(rendezvous.stats.sizes.items())) if rendezvous else {1: len(clips)}
    return found, time.process_time() - cpu, time.perf_counter() - wall, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny.en", choices=sorted(ASR_MODELS))
    parser.add_argument("--batch", default="1,2,4,8")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    registry = ModelRegistry()
    clips = utterances(registry)
    speech = sum(c.seconds for c in clips)
    sizes = [int(b) for b in args.batch.split(",")]
    print(f"{len(clips)} utterances, {speech:.0f} s of speech, model {args.model}\n")
    cpu: dict[int, list[float]] = {b: [] for b in sizes}
    wall: dict[int, list[float]] = {b: [] for b in sizes}
    same: dict[int, int] = {b: 0 for b in sizes}
    batches: dict[int, dict[int, int]] = {}
    reference: list[tuple] | None = None
    for _ in range(args.rounds):  # sizes alternate within each round
        for b in sizes:
            found, used, took, batches[b] = run(args.model, b, clips, registry)
            reference = reference or (found if b == 1 else None)
            if reference is not None:
                same[b] = sum(x == y for x, y in zip(found, reference, strict=True))
            cpu[b].append(used / speech)
            wall[b].append(took)
    print("| at a time | same words and times as one call each | CPU s per s of speech | wall s "
          "| batches by size (model calls) |\n|---|---|---|---|---|")  # fmt: skip
    for b in sizes:
        print(
            f"| {b} | {same[b]} of {len(clips)} | {statistics.median(cpu[b]):.3f} "
            f"| {statistics.median(wall[b]):.1f} | {batches[b]} |"
        )


if __name__ == "__main__":
    main()
