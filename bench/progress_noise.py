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

Two more rows per video measure the sampling alone, as a looped video replayed as a second
session does: the whole video analysed twice, the second time from 1 s in (posture is sampled
every 2 s, so the samples fall on other frames), unscaled. Filler words per minute are counted
on MFA's aligned words (the filled pauses the speaker really said in each half): how much the
rate moves between two stretches of one person's speech.
"""

from __future__ import annotations

import av
import numpy as np

from analyzers import AUDIO_RATE
from analyzers.session.summary import SummaryFields
from analyzers.words.language import FILLED_PAUSES, normalise
from modelfiles.registry import FER_MINI_XCEPTION, ModelRegistry
from testmedia import mfa
from testmedia.real_faces import feat_video, franck
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.frames import AvImage, audio_stream, video_stream

VIDEO_FIGURES = {
    "eye_contact": lambda s: s.eye_contact_ratio,
    "face_visible": lambda s: s.face_visible_ratio,
    "head_stability": lambda s: s.head_stability,
    "slumped": lambda s: s.posture.slumped_ratio if s.posture else None,
}
VOICE_FIGURES = {
    "speech_rate": lambda s: s.speaking_rate.wpm if s.speaking_rate else None,
    "pitch_variation": lambda s: s.pitch.std_semitones if s.pitch else None,
}


SESSION = 180.0
"""Seconds of a practice session the noise is scaled to."""


def _frames(path: str, config: PipelineConfig) -> list[tuple[float, AvImage]]:
    with av.open(path) as container:
        return [
            (float(f.time or 0.0), AvImage(f, config.max_analysis_width))
            for f in container.decode(video=0)
        ]


def _summary(part: list[tuple[float, AvImage]], config: PipelineConfig) -> SummaryFields:
    stream = video_stream(config)
    try:
        start = part[0][0]
        for t, image in part:
            stream.feed(t - start, image)
        final = stream.finish()
    finally:
        stream.close()
    assert final is not None
    return SummaryFields.of(final.summary, None)


def video_halves(path: str, config: PipelineConfig) -> tuple[list[SummaryFields], float]:
    frames = _frames(path, config)
    middle = frames[-1][0] / 2
    halves = [
        _summary([f for f in frames if f[0] < middle], config),
        _summary([f for f in frames if f[0] >= middle], config),
    ]
    return halves, middle


def video_replayed(path: str, config: PipelineConfig) -> tuple[SummaryFields, SummaryFields]:
    """The whole video, and the whole video from 1 s in: the same person, sampled elsewhere."""
    frames = _frames(path, config)
    return _summary(frames, config), _summary([f for f in frames if f[0] >= 1.0], config)


def filler_rates(corpus: mfa.Corpus) -> tuple[float, float, float]:
    """Filled pauses a minute said in each half of an aligned recording, and the half's
    seconds."""
    middle = corpus.samples.size / AUDIO_RATE / 2
    filled = FILLED_PAUSES["en"]
    rates = []
    for low, high in ((0.0, middle), (middle, float("inf"))):
        said = [w for w in corpus.words if low <= w.start < high and w.word.strip()]
        if not said:
            return float("nan"), float("nan"), middle
        span = (said[-1].end - said[0].start) / 60
        rates.append(sum(1 for w in said if normalise(w.word) in filled) / span)
    return rates[0], rates[1], middle


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
    replayed: dict[str, list[tuple[str, float, float]]] = {}
    for name, path in videos.items():
        (a, b), half = video_halves(str(path), config)
        for figure, read in VIDEO_FIGURES.items():
            x, y = read(a), read(b)
            if x is not None and y is not None:
                rows.setdefault(figure, []).append((name, x, y, half))
        whole, later = video_replayed(str(path), config)
        for figure, read in VIDEO_FIGURES.items():
            x, y = read(whole), read(later)
            if x is not None and y is not None:
                replayed.setdefault(figure, []).append((name, x, y))
    for name in mfa.CORPUS_FILES:
        (a, b), half = voice_halves(mfa.corpus(name, registry).samples, config)
        for figure, read in VOICE_FIGURES.items():
            x, y = read(a), read(b)
            if x is not None and y is not None:
                rows.setdefault(figure, []).append((name, x, y, half))
        x, y, half = filler_rates(mfa.corpus(name, registry))
        if np.isfinite(x) and np.isfinite(y):
            rows.setdefault("fillers", []).append((name, x, y, half))
    print(
        "| figure | recording (half s): first half → second half "
        f"| median difference, scaled to {SESSION:.0f} s |"
    )
    print("|---|---|---|")
    for figure, found in rows.items():
        cells = "; ".join(f"{n} ({h:.0f} s): {x:.3g} → {y:.3g}" for n, x, y, h in found)
        scaled = [abs(x - y) * np.sqrt(h / SESSION) for _, x, y, h in found]
        print(f"| {figure} | {cells} | {float(np.median(scaled)):.3g} |")
    print("\n| figure | video: whole → whole from 1 s in | largest difference |")
    print("|---|---|---|")
    for figure, pairs in replayed.items():
        cells = "; ".join(f"{n}: {x:.3g} → {y:.3g}" for n, x, y in pairs)
        print(f"| {figure} | {cells} | {max(abs(x - y) for _, x, y in pairs):.3g} |")


if __name__ == "__main__":
    main()
