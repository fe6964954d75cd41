"""Loudness of mono float32 audio in dBFS (0 dBFS = a full-scale square wave)."""

from __future__ import annotations

import numpy as np

SILENCE_DBFS = -120.0
"""What digital silence reports: a finite floor, so that JSON and averages stay numbers."""


def rms_dbfs(samples: np.ndarray) -> float:
    """Root-mean-square level in dBFS, floored at :data:`SILENCE_DBFS`."""
    if samples.size == 0:
        return SILENCE_DBFS
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    if rms <= 0.0:
        return SILENCE_DBFS
    return max(SILENCE_DBFS, 20.0 * float(np.log10(rms)))
