"""Test media: the shared sources (:mod:`loadtest.sources`), and how a test reacts to a tool
that is missing.

In CI (``CI=true``) a missing tool fails loudly; on a developer machine the test is skipped
with the reason, so a partial set-up still runs what it can.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from loadtest import sources
from loadtest.sources import (
    BACKGROUND,
    SPEECH_TEXT,
    astronaut,
    blank,
    close_eyes,
    look_sideways,
    place,
    read_wav,
    resample,
    trim_silence,
    white_noise,
    write_recording,
    write_wav,
    write_y4m,
)

__all__ = [
    "BACKGROUND",
    "SPEECH_TEXT",
    "astronaut",
    "blank",
    "close_eyes",
    "look_sideways",
    "missing",
    "phrase",
    "place",
    "read_wav",
    "require_tool",
    "resample",
    "speak",
    "trim_silence",
    "white_noise",
    "write_recording",
    "write_wav",
    "write_y4m",
]


def missing(message: str) -> None:
    """A tool a test needs is absent: fail in CI, skip elsewhere."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed (apt-get install {name}); .ci/run installs it")
    assert path is not None
    return path


def speak(text: str, path: Path, *, voice: str = "en", words_per_minute: int = 160) -> Path:
    """:func:`loadtest.sources.speak`, failing or skipping the test without espeak-ng."""
    require_tool("espeak-ng")
    return sources.speak(text, path, voice=voice, words_per_minute=words_per_minute)


def phrase(
    text: str,
    path: Path,
    *,
    voice: str = "en",
    words_per_minute: int = 160,
    extra: tuple[str, ...] = (),
) -> np.ndarray:
    """:func:`loadtest.sources.phrase`, failing or skipping the test without espeak-ng."""
    require_tool("espeak-ng")
    return sources.phrase(text, path, voice=voice, words_per_minute=words_per_minute, extra=extra)
