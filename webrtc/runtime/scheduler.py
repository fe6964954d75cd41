"""The analysis threads of one server process, shared by every session, and the rate of full
video analysis they can sustain.

Why shared: with a thread per track, N sessions mean 2N analysis threads time-sliced on the same
cores, so every frame's analysis is stretched N-fold and arrives late. A pool sized to the cores
runs each job to completion; a session's job waits its turn instead, and since every pipeline
takes the newest frame when its turn comes, waiting costs freshness, not a backlog.

Why adaptive: past what the cores sustain at the configured rate, the choice is between late
results for everyone and fewer results for everyone. :class:`RateController` watches how old
frames are when their analysis is done (the frame-to-result latency, minus the last hop) and
lowers the full-analysis rate of every session together when the 95th percentile passes its
target, and raises it again when there is room. The eye probe keeps its own rate: blinks are
short and it is cheap.

Why models per thread: the face and expression models keep nothing between frames, and a thread
runs one job at a time, so each thread holds one set (:class:`PerThread`) that every session's
jobs on it use. With models per session, every session cost ~30 MB and ~0.1 s of CPU more, and
a churn soak's RSS kept climbing (13.5 MB a minute); with a set per thread it levels off.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

import numpy as np

from webrtc.runtime.posture_worker import PostureWorker
from webrtc.runtime.turn_worker import TurnWorker

T = TypeVar("T")
M = TypeVar("M")


def usable_cores() -> int:
    """Cores this process may run on (``taskset`` and cgroups cpusets included)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class CpuLoad:
    """The share of its usable cores this process used over the last ``period`` seconds
    (every thread: media, analysis, recognition), sampled when asked."""

    def __init__(self, period: float = 2.0, cores: int = 0) -> None:
        self.period = period
        self.cores = cores or usable_cores()
        self._at = (time.monotonic(), time.process_time())
        self.share = 0.0

    def now(self) -> float:
        wall, cpu = time.monotonic(), time.process_time()
        if wall - self._at[0] >= self.period:
            self.share = (cpu - self._at[1]) / (wall - self._at[0]) / self.cores
            self._at = (wall, cpu)
        return self.share


class RateController:
    """Full-analysis frames per second for every session of the process, adjusted once per
    ``period`` seconds from the 95th percentile of recent frame-to-analysis latencies:
    multiplied by ``decrease`` above ``target``, raised by a tenth of ``max_fps`` below
    ``target * headroom``, always within ``[min_fps, max_fps]``."""

    def __init__(
        self,
        max_fps: float,
        min_fps: float,
        target: float,
        *,
        period: float = 1.0,
        decrease: float = 0.75,
        headroom: float = 0.6,
        min_samples: int = 5,
    ) -> None:
        if not 0 < min_fps <= max_fps:
            raise ValueError(f"need 0 < min_fps <= max_fps, got {min_fps} and {max_fps}")
        self.max_fps, self.min_fps, self.target = max_fps, min_fps, target
        self.fps = max_fps
        self._period, self._decrease, self._headroom = period, decrease, headroom
        self._min_samples = min_samples
        self._latencies: list[float] = []
        self._since: float | None = None
        self.p95: float | None = None
        """The 95th percentile the last adjustment was made on."""
        self.decreases = 0

    def saturated(self, now: float) -> bool:
        """At the lowest rate and, at the last adjustment (within three periods of ``now``),
        still over target: more sessions would make every session late."""
        return (
            self.fps <= self.min_fps
            and self.p95 is not None
            and self.p95 > self.target
            and self._since is not None
            and now - self._since < 3 * self._period
        )

    def observe(self, latency: float, now: float) -> None:
        """One frame's latency (seconds, received to analysed) at ``now`` (monotonic)."""
        self._latencies.append(latency)
        if self._since is None:
            self._since = now
        if now - self._since < self._period or len(self._latencies) < self._min_samples:
            return
        self.p95 = float(np.percentile(self._latencies, 95))
        if self.p95 > self.target:
            if self.fps > self.min_fps:
                self.decreases += 1
            self.fps = max(self.min_fps, self.fps * self._decrease)
        elif self.p95 < self.target * self._headroom:
            self.fps = min(self.max_fps, self.fps + self.max_fps / 10)
        self._latencies.clear()
        self._since = now


class PerThread(Generic[T]):
    """One ``T`` for each thread that calls, built by ``build`` on that thread's first call
    and kept while the object lives."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._local = threading.local()
        self._guard = threading.Lock()
        self.built = 0
        """How many threads have built theirs."""

    def __call__(self) -> T:
        value: T | None = getattr(self._local, "value", None)
        if value is None:
            value = self._local.value = self._build()
            with self._guard:
                self.built += 1
        return value


class AnalysisScheduler(Generic[M]):
    """Runs analysis jobs on ``threads`` shared threads (default: one per usable core), each
    holding its own ``video_models`` (see :class:`PerThread`): the face and expression models
    of the live server; the ``posture`` thread, when posture is measured, and the ``turns``
    thread, when the end-of-turn model is configured."""

    def __init__(
        self,
        rate: RateController,
        video_models: Callable[[], M],
        threads: int = 0,
        posture: PostureWorker | None = None,
        turns: TurnWorker | None = None,
    ) -> None:
        self.threads = threads or usable_cores()
        self.rate = rate
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="lens-analysis")
        self.video_models = video_models
        """The calling thread's video models (a :class:`PerThread`), for jobs to use."""
        self.posture = posture
        self.turns = turns
        """The end-of-turn model's thread, when interviews judge their answers' ends."""
        self._warming: asyncio.Future[list[None]] | None = None

    async def warm(self) -> None:
        """Build the models on every thread, once: the first session waits for it (a fraction
        of a second), later ones find them ready. Concurrent callers share the one warm-up; a
        failed warm-up raises to its callers and is tried again by the next."""
        if self._warming is None:
            build = self.video_models
            # Every job waits for the others, so the jobs run on distinct threads: all of them.
            barrier = threading.Barrier(self.threads)

            def job() -> None:
                try:
                    build()
                except BaseException:
                    barrier.abort()
                    raise
                try:
                    barrier.wait(timeout=60)
                except threading.BrokenBarrierError:
                    pass

            loop = asyncio.get_running_loop()
            self._warming = asyncio.gather(
                *(loop.run_in_executor(self._executor, job) for _ in range(self.threads))
            )
        warming = self._warming
        try:
            await asyncio.shield(warming)
        except Exception:
            if self._warming is warming:
                self._warming = None
            raise

    async def run(self, lock: threading.Lock, fn: Callable[[], T]) -> T:
        """``fn`` on a pool thread, holding ``lock``: one job at a time per owner of the lock,
        even if a cancelled caller's job is still running when the next one starts."""

        def locked() -> T:
            with lock:
                return fn()

        return await asyncio.get_running_loop().run_in_executor(self._executor, locked)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self.posture is not None:
            self.posture.close()
        if self.turns is not None:
            self.turns.shutdown()
