"""When an answer ends, on real speech: ``python -m bench.turn_taking``.

Every case goes through the same code as a live interview: the stream core's voice activity and
speech events, the end-of-turn model asked during silences (``analyzers/voice/turn.py``), and
the interview flow with its default times (``analyzers/interview/flow.py``), in 100 ms pushes.
Each recording is played after half a second of its own noise floor and followed by silence at
that floor.

- **Finished**: a sentence or phrase said to its end (MFA's conversational clips whose
  transcript is a whole sentence, its two long recordings, its speaker's phrases, CMU ARCTIC's
  a0001, F5-TTS's English and Mandarin speakers). Measured: last word to ``answer.ended``
  (media seconds, as the flow decides it).
- **Cut mid-thought**: the audio up to a word that cannot end an English sentence (an article, a
  preposition, a conjunction, an auxiliary: "and", "the", "is"...) with at least a second of
  speech before it, in MFA's two long recordings; F5-TTS's speakers cut at the pauses of their
  commas; MFA's two clips whose transcript stops mid-thought. Each is followed by a 3 s pause.
  Measured: whether the answer ended in the pause (it should not).

Prints the two tables of ``docs/interview.md`` and the model's cost per call.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.interview.flow import Interview, InterviewTimes
from analyzers.interview.questions import Question
from analyzers.session.stream import AudioStream, StreamParams
from analyzers.voice.turn import SmartTurn, TurnPrediction, TurnWatcher
from analyzers.voice.windows import AudioAnalyzer
from modelfiles.registry import SMART_TURN, ModelRegistry
from testmedia import f5, mfa
from testmedia.sources import recorded_speech

CANNOT_END = frozenset(
    "a an the and or but so because of in on at to for with from by about as is are was were "
    "am be been i'm we're there's here's that this some just should would could will".split()
)
"""Words after which an English sentence cannot end (where a thought is cut mid-way)."""
UNFINISHED_CLIPS = ("multilingual_ipa_3", "multilingual_ipa_us_4")
"""MFA's clips whose transcript stops mid-thought ("and run you through", "...i think this is
uh"); every other conversational clip is a whole sentence."""
PAUSE = 3.0
LEAD = 0.5


@dataclass(frozen=True)
class Case:
    name: str
    samples: np.ndarray
    """From the speech's start to its last word's end (the cut, for a cut case)."""
    finished: bool
    language: str = "en"


@dataclass(frozen=True)
class Outcome:
    case: Case
    ended_after: float | None
    """Seconds from the last word to the answer's end (``None``: it did not end)."""
    reason: str | None
    probabilities: tuple[float, ...]
    resumed: int = 0
    """Times the answer ended at a pause inside and was taken up again when speech went on."""


def noise_floor(samples: np.ndarray) -> float:
    """RMS of the quietest 100 ms of ``samples`` (its room, its microphone)."""
    hop = AUDIO_RATE // 10
    n = samples.size // hop
    rms = np.sqrt(np.mean(samples[: n * hop].reshape(n, hop) ** 2, axis=1))
    return float(max(rms.min(), 1e-5))


def speech_end(samples: np.ndarray) -> float:
    """Seconds to the end of the last 20 ms frame within 30 dB of the loudest."""
    hop = AUDIO_RATE // 50
    n = samples.size // hop
    levels = 10 * np.log10(np.mean(samples[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    return float((np.flatnonzero(levels > levels.max() - 30.0)[-1] + 1) * hop / AUDIO_RATE)


def answer_end(case: Case, model: SmartTurn, times: InterviewTimes, after: float) -> Outcome:
    """Play ``case`` as an answer with ``after`` seconds of silence after its last word."""
    rng = np.random.default_rng(0)
    floor = noise_floor(case.samples)
    last_word = LEAD + speech_end(case.samples)
    tail = round((LEAD + case.samples.size / AUDIO_RATE + after) * AUDIO_RATE)
    audio = rng.standard_normal(tail).astype(np.float32) * floor
    start = round(LEAD * AUDIO_RATE)
    audio[start : start + case.samples.size] = case.samples
    audio = audio[: round((last_word + after) * AUDIO_RATE)]
    stream = AudioStream(
        StreamParams(transcript=False), AudioAnalyzer, TurnWatcher(model, StreamParams().turn)
    )
    flow = Interview((Question("q", "Tell me about it.", 120),), times)
    flow.start(0.0)
    flow.asked(0.0, 0.0)
    push = AUDIO_RATE // 10
    probabilities: list[float] = []
    ended_at: float | None = None
    resumed = 0
    for i in range(0, audio.size, push):
        for output in stream.feed(audio[i : i + push], i / AUDIO_RATE).outputs:
            if isinstance(output, TurnPrediction):
                probabilities.append(output.probability)
            was = flow.phase
            flow.observe(output)
            if flow.phase == "answered" and was != "answered":
                ended_at = (i + push) / AUDIO_RATE
            elif was == "answered" and flow.phase == "answering":
                ended_at, resumed = None, resumed + 1
    if flow.phase != "answered" or ended_at is None:
        return Outcome(case, None, None, tuple(probabilities), resumed)
    reason = flow.answers[0].reason
    return Outcome(case, ended_at - last_word, reason, tuple(probabilities), resumed)


def cases(registry: ModelRegistry) -> list[Case]:
    found: list[Case] = []
    for name, samples in mfa.conversation_clips(registry).items():
        found.append(Case(f"mfa {name}", samples, name not in UNFINISHED_CLIPS))
    for name, samples in mfa.filler_clips(registry).items():
        found.append(Case(f"mfa {name}", samples, True))
    for name in mfa.CORPUS_FILES:
        corpus = mfa.corpus(name, registry)
        words = corpus.words
        first = round(max(0.0, words[0].start - 0.1) * AUDIO_RATE)
        end = round(words[-1].end * AUDIO_RATE)
        found.append(Case(f"mfa {name}", corpus.samples[first:end], True))
        for word, following in pairwise(words):
            if (
                word.word in CANNOT_END
                and following.start - word.end < 0.1
                and word.end - words[0].start >= 1.0
            ):
                cut = corpus.samples[first : round(word.end * AUDIO_RATE)]
                found.append(Case(f"mfa {name} cut after '{word.word}' {word.end:.2f}", cut, False))
    speech, _ = recorded_speech(registry)
    found.append(Case("cmu arctic a0001", speech, True))
    for model, language in ((f5.ENGLISH, "en"), (f5.MANDARIN, "zh")):
        samples = f5.recording(model, registry)
        found.append(Case(f"f5 {language}", samples, True, language))
        longest = 2 if language == "zh" else 1
        for at in f5.comma_pauses(samples, longest=longest):
            cut = samples[: round(at * AUDIO_RATE)]
            found.append(Case(f"f5 {language} cut at the comma {at:.2f}", cut, False, language))
    return found


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object, not tables")
    parser.add_argument("--verbose", action="store_true", help="every case")
    args = parser.parse_args()
    registry = ModelRegistry()
    model = SmartTurn(registry.path(SMART_TURN))
    times = InterviewTimes()
    every = cases(registry)
    outcomes = [
        answer_end(c, model, times, after=times.end_silence + 1.0 if c.finished else PAUSE)
        for c in every
    ]
    if args.verbose:
        for o in outcomes:
            p = ", ".join(f"{x:.2f}" for x in o.probabilities)
            after = "-" if o.ended_after is None else f"{o.ended_after:.2f} s"
            print(f"{o.case.name}: {o.reason} after {after}, resumed {o.resumed} (p {p})")
    figures: dict[str, object] = {}
    for language in ("en", "zh"):
        done = [o for o in outcomes if o.case.finished and o.case.language == language]
        waits = [o.ended_after for o in done if o.ended_after is not None]
        cut = [o for o in outcomes if not o.case.finished and o.case.language == language]
        held = [o for o in cut if o.ended_after is None]
        figures[language] = {
            "finished": len(done),
            "finished_p50": round(percentile(waits, 50), 2),
            "finished_p95": round(percentile(waits, 95), 2),
            "finished_by_model": sum(o.reason == "complete" for o in done),
            "cut": len(cut),
            "cut_held": len(held),
        }
    costs = []
    clip = every[0].samples
    for _ in range(30):
        started = time.process_time()
        model.complete_probability(clip)
        costs.append((time.process_time() - started) * 1000.0)
    figures["model_ms_median"] = round(float(np.median(costs)), 1)
    if args.json:
        print(json.dumps(figures))
        return
    print("| speech | finished turns | last word to answer.ended p50 | p95 | ended by the model |")
    print("|---|---|---|---|---|")
    for language, name in (("en", "English"), ("zh", "Mandarin")):
        f = figures[language]
        assert isinstance(f, dict)
        print(
            f"| {name} | {f['finished']} | {f['finished_p50']} s | {f['finished_p95']} s | "
            f"{f['finished_by_model']} of {f['finished']} |"
        )
    print()
    print(f"| speech | thoughts cut mid-sentence, then a {PAUSE:g} s pause | no end in the pause |")
    print("|---|---|---|")
    for language, name in (("en", "English"), ("zh", "Mandarin")):
        f = figures[language]
        assert isinstance(f, dict)
        share = 100.0 * f["cut_held"] / max(1, f["cut"])
        print(f"| {name} | {f['cut']} | {f['cut_held']} ({share:.0f} %) |")
    print()
    print(f"model: {figures['model_ms_median']} ms of CPU per call (median of 30, one thread)")


if __name__ == "__main__":
    main()
