"""Freed memory given back to the system after sessions end.

A session frees what it held (its frames, models' buffers, transcripts) into glibc's malloc
arenas, where it stays mapped: with many threads allocating (aiortc, the analysis threads,
MediaPipe, CTranslate2, ONNX Runtime), arenas fragment and the process's RSS creeps up under a
steady churn of sessions although nothing is kept. ``malloc_trim(0)`` returns the free pages of
every arena; it runs on a thread of its own (it locks each arena in turn for milliseconds), at
most one at a time and at most every ``every`` seconds, after a session has ended. Elsewhere than
glibc it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


def _glibc_trim() -> Callable[[], object] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


def resident_bytes() -> int | None:
    """The process's resident set, from ``/proc`` (Linux)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class MemoryTrimmer:
    def __init__(self, every: float = 30.0, trim: Callable[[], object] | None = None) -> None:
        self.every = every
        self._trim = trim if trim is not None else _glibc_trim()
        self._busy = threading.Lock()
        self._last = -float("inf")
        self.trims = 0
        self.released_bytes = 0
        """RSS before a trim minus after, summed (what the trims gave back)."""

    @property
    def available(self) -> bool:
        return self._trim is not None

    def after_session(self) -> None:
        """A session ended: trim on a thread, unless one ran in the last ``every`` seconds or
        is running."""
        now = time.monotonic()
        if self._trim is None or now - self._last < self.every or self._busy.locked():
            return
        self._last = now
        threading.Thread(target=self._run, name="lens-malloc-trim", daemon=True).start()

    def _run(self) -> None:
        if not self._busy.acquire(blocking=False):
            return
        try:
            before = resident_bytes()
            assert self._trim is not None
            self._trim()
            after = resident_bytes()
            self.trims += 1
            if before is not None and after is not None and before > after:
                self.released_bytes += before - after
        except Exception:  # a trim that fails costs nothing but itself
            log.exception("giving freed memory back failed")
        finally:
            self._busy.release()
