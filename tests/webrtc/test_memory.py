"""Freed memory given back after sessions end: glibc's malloc_trim on a thread of its own, at
most one at a time and not more often than asked."""

from __future__ import annotations

import threading
import time

import numpy as np

from webrtc.runtime.memory import MemoryTrimmer, resident_bytes


def test_a_trim_gives_freed_memory_back() -> None:
    """Many small blocks freed leave their pages in malloc's arenas (RSS stays up); the trim
    returns them, and counts what it gave back."""
    trimmer = MemoryTrimmer(every=0.0)
    assert trimmer.available, "glibc's malloc_trim (this is Debian)"
    blocks = [np.ones(2000, np.uint8).tobytes() for _ in range(50_000)]
    keep = blocks[::50]  # a few survivors pin the arenas' tops, as in a server
    del blocks
    before = resident_bytes()
    trimmer.after_session()
    deadline = time.monotonic() + 10
    while trimmer.trims == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert trimmer.trims == 1, "the trim ran"
    after = resident_bytes()
    assert before is not None and after is not None
    assert trimmer.released_bytes > 0 and after < before, (before, after, trimmer.released_bytes)
    assert keep


def test_trims_are_spaced_and_never_overlap() -> None:
    started = threading.Event()
    release = threading.Event()
    calls: list[float] = []

    def slow_trim() -> None:
        calls.append(time.monotonic())
        started.set()
        release.wait(5)

    trimmer = MemoryTrimmer(every=0.0, trim=slow_trim)
    trimmer.after_session()
    assert started.wait(5)
    trimmer.after_session()  # one is running: not another
    release.set()
    deadline = time.monotonic() + 5
    while trimmer.trims == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(calls) == 1 and trimmer.trims == 1
    spaced = MemoryTrimmer(every=3600.0, trim=lambda: calls.append(time.monotonic()))
    spaced.after_session()
    spaced.after_session()
    deadline = time.monotonic() + 5
    while spaced.trims == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert spaced.trims == 1, "a second session ending within the hour does not trim again"
