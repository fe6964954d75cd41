"""Real-time factor of the whole audio chain for one stream.

    python -m bench.audio [--seconds 60] [--runs 5]

Feeds espeak-ng speech with pauses as 20 ms 48 kHz stereo s16 frames (what aiortc's Opus decoder
hands the server) through the server's chain: PyAV resampling to 16 kHz mono float32, voice
activity, speech events, pitch, clarity proxies, syllable nuclei and the rolling summary (at most
once a second, as the server gates it), pushing ``--batch-ms`` of audio at a time. Prints the
median CPU seconds per second of audio over ``--runs`` runs, and of resampling alone.
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

from analyzers.session.stream import AudioStream, StreamParams
from analyzers.voice.activity import VadModel
from analyzers.voice.windows import AudioAnalysisOptions, AudioAnalyzer
from testmedia.sources import read_wav, resample
from webrtc.runtime.frames import audio_resampler, resampled

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


def run(
    audio_frames: list[av.AudioFrame], batch: int, vad: VadModel = "silero"
) -> tuple[float, float]:
    """(CPU seconds of the chain, of resampling alone), with ``batch`` frames handed over at
    a time, as the live server does, to the stream core pushing that much."""
    resampler = audio_resampler()
    started = time.process_time()
    for frame in audio_frames:
        resampler.resample(frame)
    resampling = time.process_time() - started
    resampler = audio_resampler()
    options = AudioAnalysisOptions(vad_model=vad)
    stream = AudioStream(StreamParams(audio_batch_ms=batch * 20), lambda: AudioAnalyzer(options))
    started = time.process_time()
    for i in range(0, len(audio_frames), batch):
        handed = audio_frames[i : i + batch]
        stream.feed(resampled(resampler, handed), float(handed[0].pts or 0) / 48_000)
    return time.process_time() - started, resampling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--batch-ms",
        type=int,
        nargs="+",
        default=[20, 100],
        help="audio per push; the server pushes LENS_AUDIO_BATCH_MS (100) at a time",
    )
    parser.add_argument(
        "--vad", nargs="+", default=["silero"], help="voice-activity models (LENS_VAD_MODEL)"
    )
    args = parser.parse_args()
    audio_frames = frames(speech_clip(args.seconds))
    for batch_ms, vad in ((b, v) for b in args.batch_ms for v in args.vad):
        batch = max(1, batch_ms // 20)
        results = [run(audio_frames, batch, vad) for _ in range(args.runs)]
        total = statistics.median(r[0] for r in results)
        resampling = statistics.median(r[1] for r in results)
        print(
            f"audio chain, {vad}, {batch * 20} ms per push: {total / args.seconds:.4f} CPU s per "
            f"s of audio (median of {args.runs} runs of {args.seconds:.0f} s); resampling "
            f"{resampling / args.seconds:.4f}, analysis {(total - resampling) / args.seconds:.4f}"
        )


if __name__ == "__main__":
    main()
