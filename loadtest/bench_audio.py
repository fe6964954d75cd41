"""Real-time factor of the whole audio chain for one stream.

    python -m loadtest.bench_audio [--seconds 60] [--runs 5]

Feeds espeak-ng speech with pauses as 20 ms 48 kHz stereo s16 frames (what aiortc's Opus decoder
hands the server) through the server's chain: PyAV resampling to 16 kHz mono float32, voice
activity, speech events, pitch, clarity proxies, syllable nuclei and the rolling summary after
every window. Prints the median CPU seconds per second of audio over ``--runs`` runs, and the
share of the chain spent outside resampling.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from analyzers import AUDIO_RATE
from analyzers.audio import AudioAnalyzer, AudioWindowResult
from analyzers.prosody import warm_up
from tests.media import read_wav, resample

TEXT = (
    "Thank you for having me. In my last role I led a small team that rebuilt our billing "
    "system, and we cut the time to close the books from five days to one."
)


def speech_clip(seconds: float) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-w", str(wav), TEXT], check=True, capture_output=True)
        samples, rate = read_wav(wav)
    one = np.concatenate([resample(samples, rate, 48_000), np.zeros(48_000, np.float32)])
    return np.tile(one, int(np.ceil(seconds * 48_000 / one.size)))[: int(seconds * 48_000)]


def frames(clip: np.ndarray) -> list[av.AudioFrame]:
    pcm = (np.clip(clip, -1, 1) * 32767).astype(np.int16)
    out = []
    for i in range(0, pcm.size - 960 + 1, 960):
        stereo = np.repeat(pcm[i : i + 960], 2).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(stereo, format="s16", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = 48_000, i, Fraction(1, 48_000)
        out.append(frame)
    return out


def run(audio_frames: list[av.AudioFrame]) -> tuple[float, float]:
    """(total CPU seconds, of which resampling)."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
    analyzer = AudioAnalyzer()
    resampling = 0.0
    started = time.process_time()
    for frame in audio_frames:
        t0 = time.process_time()
        chunks = [c.to_ndarray().reshape(-1) for c in resampler.resample(frame)]
        resampling += time.process_time() - t0
        for chunk in chunks:
            outputs = analyzer.push(chunk, frame.pts / 48_000)
            if any(isinstance(o, AudioWindowResult) for o in outputs):
                analyzer.summary()
    return time.process_time() - started, resampling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    warm_up()
    audio_frames = frames(speech_clip(args.seconds))
    results = [run(audio_frames) for _ in range(args.runs)]
    total = statistics.median(r[0] for r in results)
    resampling = statistics.median(r[1] for r in results)
    print(
        f"audio chain: {total / args.seconds:.4f} CPU s per s of audio (median of {args.runs} "
        f"runs of {args.seconds:.0f} s); resampling {resampling / args.seconds:.4f}, "
        f"analysis {(total - resampling) / args.seconds:.4f}"
    )


if __name__ == "__main__":
    main()
