"""Test media: the shared sources (:mod:`testmedia.sources`), and how a test reacts to a tool
that is missing.

In CI (``CI=true``) a missing tool fails loudly; on a developer machine the test is skipped
with the reason, so a partial set-up still runs what it can.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import pytest

from testmedia import sources
from testmedia.sources import (
    BACKGROUND,
    SPEECH_TEXT,
    astronaut,
    blank,
    chord,
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

P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "BACKGROUND",
    "SPEECH_TEXT",
    "astronaut",
    "blank",
    "chord",
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


def _needs_espeak(make: Callable[P, R]) -> Callable[P, R]:
    """``make``, failing or skipping the test when espeak-ng is not installed."""

    @functools.wraps(make)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        require_tool("espeak-ng")
        return make(*args, **kwargs)

    return checked


speak = _needs_espeak(sources.speak)
phrase = _needs_espeak(sources.phrase)
