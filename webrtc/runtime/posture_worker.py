"""Posture samples of every session of the process, on one thread of the lowest CPU priority.

A posture sample (MediaPipe Pose) costs ~2.7 face analyses. Run in a frame's analysis job it
delays that frame's result and every job queued behind it: measured at 4 peers on one core, it
halved the frames analysed (``docs/benchmarks.md``). Here it runs after the frame's result is
out, on a thread of its own whose priority is the lowest the system has (``nice`` 19), and the
pose graph is built on that thread so that MediaPipe's own threads inherit it: a sample takes
only CPU the live results leave idle. Under load samples wait; a sample that waited longer than
``max_age`` is dropped, as is one that finds the queue full, and both are counted.
"""

from __future__ import annotations

import asyncio
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from analyzers.video.posture import PoseModel

log = logging.getLogger(__name__)

LOWEST_PRIORITY = 19


class Dropped(Exception):
    """The sample was not measured: the queue was full, or it waited too long."""


@dataclass
class _Job:
    rgb: np.ndarray
    queued_at: float
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[np.ndarray | None]


def _lower_priority() -> bool:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
    except (AttributeError, OSError) as exc:  # not Linux, or not allowed
        log.warning("posture thread keeps normal priority: %s", exc)
        return False
    return True


def _settle(job: _Job, result: np.ndarray | None, error: BaseException | None) -> None:
    def settle() -> None:
        if job.future.done():  # the session went away meanwhile
            return
        if error is not None:
            job.future.set_exception(error)
        else:
            job.future.set_result(result)

    try:
        job.loop.call_soon_threadsafe(settle)
    except RuntimeError:  # the loop is closed
        pass


class PostureWorker:
    """Pose landmarks for every session, one frame at a time, at the lowest priority."""

    def __init__(
        self,
        *,
        depth: int = 8,
        max_age: float = 3.0,
        model: Callable[[], PoseModel] = PoseModel,
    ) -> None:
        self.max_age = max_age
        self._build = model
        self._queue: queue.Queue[_Job | None] = queue.Queue(depth)
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self.measured = 0
        self.dropped = 0
        self.low_priority: bool | None = None
        """Whether the thread got the lowest priority (``None`` until it has started)."""
        self.native_id: int | None = None

    def landmarks(self, rgb: np.ndarray) -> asyncio.Future[np.ndarray | None]:
        """The pose landmarks of ``rgb`` (``None``: no person), or :class:`Dropped`."""
        loop = asyncio.get_running_loop()
        job = _Job(rgb, time.monotonic(), loop, loop.create_future())
        self._ensure_thread()
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            self.dropped += 1
            job.future.set_exception(Dropped("posture queue full"))
        return job.future

    def _ensure_thread(self) -> None:
        with self._start:
            if self._thread is None:
                # Not a daemon: one stopped by the interpreter's exit inside the pose graph
                # aborts the process ("FATAL: exception not rethrown"). :meth:`close` ends it.
                self._thread = threading.Thread(target=self._run, name="lens-posture")
                self._thread.start()

    def _run(self) -> None:
        self.native_id = threading.get_native_id()
        self.low_priority = _lower_priority()
        model: PoseModel | None = None
        while (job := self._queue.get()) is not None:
            if job.future.done():
                continue
            if time.monotonic() - job.queued_at > self.max_age:
                self.dropped += 1
                _settle(job, None, Dropped("posture sample waited too long"))
                continue
            try:
                # Built here, so that the graph's own threads inherit this thread's priority.
                model = model or self._build()
                points = model.landmarks(job.rgb)
            except Exception as exc:
                _settle(job, None, exc)
                continue
            self.measured += 1
            _settle(job, points, None)
        if model is not None:
            model.close()

    def close(self) -> None:
        """Stop the thread after the sample it is measuring; waiting samples are dropped."""
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None and not job.future.done():
                job.future.set_exception(Dropped("the server is stopping"))
        if self._thread is not None:
            self._queue.put(None)

    def join(self, timeout: float) -> bool:
        """Wait for the thread to end after :meth:`close`; whether it has."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()
