"""Real recordings of people with their words, from F5-TTS's wheel (``f5-tts==1.1.22``, MIT; the
reference voices its examples clone): an English and a Mandarin sentence, fetched once through
the model registry (sha256-checked, nothing installed). Where the Mandarin speaker pauses at
its two commas is found from its own audio (:func:`comma_pauses`)."""

from __future__ import annotations

import numpy as np

from analyzers import AUDIO_RATE
from modelfiles.registry import ModelFile, ModelRegistry
from testmedia.mfa import decode


def _member(path: str, sha256: str) -> ModelFile:
    return ModelFile(
        name=f"f5-{path.rsplit('/', 1)[-1].replace('.', '-')}",
        distribution="f5-tts",
        version="1.1.22",
        member=f"f5_tts/infer/examples/{path}",
        sha256=sha256,
        license="MIT (F5-TTS example reference recordings)",
    )


ENGLISH = _member(
    "basic/basic_ref_en.wav", "b0e22048e72414fcc1e6b6342e47a774d748a195ed34e4a5b3fcf416707f2b71"
)
ENGLISH_TEXT = "Some call me nature, others call me mother nature."
MANDARIN = _member(
    "basic/basic_ref_zh.wav", "96724a113240d1f82c6ded1334122f0176b96c9226ccd3c919e625bcfd2a3ede"
)
MANDARIN_TEXT = "对，这就是我，万人敬仰的太乙真人。"  # noqa: RUF001


def recording(model: ModelFile, registry: ModelRegistry | None = None) -> np.ndarray:
    """The recording at 16 kHz mono float32."""
    return decode((registry or ModelRegistry()).path(model))


def comma_pauses(samples: np.ndarray, *, longest: int = 2) -> list[float]:
    """Where the ``longest`` silences inside the speech begin (seconds, in order): a read
    sentence's pauses at its commas. A 20 ms frame is silent when it is 30 dB under the loudest
    frame; a silence is a run of them between voiced frames."""
    hop = AUDIO_RATE // 50
    n = samples.size // hop
    levels = 10 * np.log10(np.mean(samples[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    voiced = levels > levels.max() - 30.0
    first, last = np.flatnonzero(voiced)[[0, -1]]
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i in range(first, last + 1):
        if not voiced[i] and start is None:
            start = i
        elif voiced[i] and start is not None:
            runs.append((i - start, start))
            start = None
    return sorted(start * hop / AUDIO_RATE for _, start in sorted(runs)[-longest:])
