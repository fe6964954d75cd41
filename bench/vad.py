"""Voice activity on real rooms and voices: ``python -m bench.vad``.

For each detector (webrtcvad at each aggressiveness, Silero at a few thresholds), on MFA's two
real recordings (a quiet room; the same man hoarse with a cold, in another room): the share of
20 ms frames inside the aligned words called speech, the share outside them called speech, and
the talk ratio the analyzer reports against the aligned words'. Then white noise, brown noise (a
rumble) and a chord (music) that must stay silent, how far speech starts and stops land from
where espeak-ng phrases begin and end, and the CPU each costs per second of audio.
"""

from __future__ import annotations

import math
import tempfile
import time
from pathlib import Path

import numpy as np

from analyzers import AUDIO_RATE
from analyzers.voice.activity import FRAME_SAMPLES, VoiceActivityDetector
from analyzers.voice.speech_events import SpeechStarted, SpeechStopped
from analyzers.voice.windows import AudioAnalysisOptions, AudioAnalyzer
from testmedia import mfa
from testmedia.sources import chord, phrase, white_noise

DETECTORS: list[tuple[str, AudioAnalysisOptions]] = [
    *(
        (f"webrtcvad {mode}", AudioAnalysisOptions(vad_model="webrtc", vad_aggressiveness=mode))
        for mode in (3, 2, 1, 0)
    ),
    *(
        (
            f"silero {th} (hold {hold})",
            AudioAnalysisOptions(vad_model="silero", vad_threshold=th, vad_hold=hold),
        )
        for th, hold in ((0.5, 0.35), (0.5, 0.25), (0.4, 0.25), (0.3, 0.15), (0.7, 0.55))
    ),
]


def frames_called(options: AudioAnalysisOptions, samples: np.ndarray) -> np.ndarray:
    vad = VoiceActivityDetector(
        model=options.vad_model,
        aggressiveness=options.vad_aggressiveness,
        threshold=options.vad_threshold,
        hold=options.vad_hold,
    )
    count = samples.size // FRAME_SAMPLES
    frames = samples[: count * FRAME_SAMPLES].reshape(count, FRAME_SAMPLES)
    return np.concatenate([vad.frames_are_speech(frames[i : i + 5]) for i in range(0, count, 5)])


def talk_ratio(options: AudioAnalysisOptions, samples: np.ndarray) -> float:
    analyzer = AudioAnalyzer(options)
    step = AUDIO_RATE // 10
    for i in range(0, samples.size, step):
        analyzer.push(samples[i : i + step], i / AUDIO_RATE)
    return analyzer.session_summary().talk_ratio or 0.0


def inside(corpus: mfa.Corpus, count: int) -> np.ndarray:
    mask = np.zeros(count, bool)
    for w in corpus.words:
        mask[int(w.start / 0.02) : int(np.ceil(w.end / 0.02))] = True
    return mask


def brown_noise(seconds: float, dbfs: float = -30.0) -> np.ndarray:
    """Integrated white noise (a rumble: a fan, traffic), which is not flat and passes the
    flatness gate."""
    walk = np.cumsum(np.random.default_rng(3).standard_normal(round(seconds * AUDIO_RATE)))
    walk -= np.convolve(walk, np.ones(400) / 400, mode="same")  # no drift
    return (walk * 10 ** (dbfs / 20) / np.sqrt(np.mean(walk**2))).astype(np.float32)


def boundaries(options: AudioAnalysisOptions, folder: Path) -> tuple[float, float]:
    """Median and largest error, in seconds, of speech starts and stops against where three
    espeak-ng phrases (trimmed to their voice) sit between silences."""
    parts, spans, t = [np.zeros(AUDIO_RATE, np.float32)], [], 1.0
    texts = ["Thank you for having me", "I have five years of experience", "and I love this work"]
    for i, (text, gap) in enumerate(zip(texts, (0.8, 1.5, 1.0), strict=True)):
        voice = phrase(text, folder / f"{i}.wav")
        spans.append((t, t + voice.size / AUDIO_RATE))
        parts += [voice, np.zeros(round(gap * AUDIO_RATE), np.float32)]
        t += voice.size / AUDIO_RATE + gap
    samples = np.concatenate(parts)
    analyzer = AudioAnalyzer(options)
    starts, stops = [], []
    for i in range(0, samples.size, AUDIO_RATE // 10):
        for event in analyzer.push(samples[i : i + AUDIO_RATE // 10], i / AUDIO_RATE):
            if isinstance(event, SpeechStarted):
                starts.append(event.t)
            elif isinstance(event, SpeechStopped):
                stops.append(event.t)
    if len(starts) != len(spans) or len(stops) != len(spans):
        return math.inf, math.inf
    errors = [abs(a - s) for (s, _), a in zip(spans, starts, strict=True)]
    errors += [abs(b - e) for (_, e), b in zip(spans, stops, strict=True)]
    return float(np.median(errors)), max(errors)


def main() -> None:
    corpora = [mfa.corpus("acoustic_corpus"), mfa.corpus("cold_corpus")]
    noise = white_noise(10.0, -30.0)
    music = chord(10.0)
    print(
        "| detector | "
        + " | ".join(
            f"{c.name}: in words / outside / talk ratio (truth {c.talk_ratio():.2f})"
            for c in corpora
        )
        + " | white noise | brown noise | chord | synthetic boundaries median / max ms "
        "| CPU ms per s |"
    )
    print("|---" * (len(corpora) + 6) + "|")
    folder = Path(tempfile.mkdtemp())
    rumble = brown_noise(10.0)
    for name, options in DETECTORS:
        cells = []
        for c in corpora:
            said = frames_called(options, c.samples)
            words = inside(c, said.size)
            ratio = talk_ratio(options, c.samples)
            cells.append(f"{said[words].mean():.0%} / {said[~words].mean():.0%} / {ratio:.2f}")
        started = time.process_time()
        for c in corpora:
            frames_called(options, c.samples)
        cpu = (time.process_time() - started) / sum(c.seconds for c in corpora) * 1000
        median, largest = boundaries(options, folder)
        cells += [
            f"{frames_called(options, noise).mean():.0%}",
            f"{frames_called(options, rumble).mean():.0%}",
            f"{frames_called(options, music).mean():.0%}",
            f"{median * 1000:.0f} / {largest * 1000:.0f}",
            f"{cpu:.1f}",
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
