"""The posture thread: real MediaPipe Pose at the lowest priority, off the results' path."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from analyzers.video.posture import PoseModel
from tests.media import astronaut, place
from webrtc.runtime.posture_worker import LOWEST_PRIORITY, Dropped, PostureWorker


def niceness_of_threads() -> list[int]:
    """The nice value of every thread of this process (field 19 of ``/proc/…/stat``); a thread
    that ends between the listing and the reading is not counted."""
    values = []
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except FileNotFoundError:
            continue
        values.append(int(stat[stat.rindex(")") + 2 :].split()[16]))
    return values


async def test_the_pose_graph_runs_at_the_lowest_priority() -> None:
    """The worker's thread and the threads MediaPipe starts for the graph it builds all run
    at nice 19, so a sample takes only CPU the analysis threads leave idle."""
    before = niceness_of_threads().count(LOWEST_PRIORITY)
    worker = PostureWorker()
    try:
        points = await asyncio.wait_for(worker.landmarks(place(astronaut(), scale=0.6)), 60)
        assert points is not None and points.shape == (33, 3), points
        assert worker.low_priority is True and worker.native_id is not None
        assert os.getpriority(os.PRIO_PROCESS, worker.native_id) == LOWEST_PRIORITY
        niced = niceness_of_threads().count(LOWEST_PRIORITY) - before
        assert niced >= 2, f"only {niced} thread(s) at nice 19: the graph's own threads are not"
        assert worker.measured == 1 and worker.dropped == 0
    finally:
        worker.close()
        assert worker.join(30), "the posture thread should end after close()"


class GatedModel(PoseModel):
    """Pose that waits for the test before each frame, so the queue can be filled."""

    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate

    def landmarks(self, rgb: np.ndarray) -> np.ndarray | None:
        self.gate.wait(30)
        return None

    def close(self) -> None:
        pass


async def test_a_full_queue_and_a_stale_sample_are_dropped_and_counted() -> None:
    gate = threading.Event()
    worker = PostureWorker(depth=1, max_age=0.5, model=lambda: GatedModel(gate))
    frame = np.zeros((8, 8, 3), np.uint8)
    try:
        busy = worker.landmarks(frame)
        for _ in range(100):  # until the thread has taken it and waits at the gate
            await asyncio.sleep(0.01)
            if worker._queue.empty():
                break
        waiting = worker.landmarks(frame)
        with pytest.raises(Dropped, match="full"):
            await worker.landmarks(frame)
        await asyncio.sleep(0.6)  # the waiting one grows older than max_age
        gate.set()
        assert await asyncio.wait_for(busy, 10) is None
        with pytest.raises(Dropped, match="too long"):
            await asyncio.wait_for(waiting, 10)
        assert (worker.measured, worker.dropped) == (1, 2)
    finally:
        worker.close()
        assert worker.join(30), "the posture thread should end after close()"
