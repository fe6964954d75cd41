"""How much of one core a pose loop leaves to a busy Python thread, with the pose graph built on
a normal thread or on the lowest-priority thread that calls it (as
``webrtc/runtime/posture_worker.py`` does): ``taskset -c 0 python -m bench.posture_priority``."""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections.abc import Callable
from statistics import median

from analyzers.video.posture import PoseModel
from testmedia.sources import astronaut, place
from webrtc.runtime.posture_worker import LOWEST_PRIORITY


def spin(seconds: float) -> int:
    """Loops a busy Python thread makes in ``seconds`` (the stand-in for the analysis)."""
    n, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        n += 1
    return n


def beside_pose(build: Callable[[], PoseModel] | None, seconds: float) -> tuple[int, int]:
    """Spin loops and pose calls while a niced thread calls pose in a loop on a model built by
    ``build`` on the calling thread (``None``: on the niced thread itself)."""
    image = place(astronaut())
    shared = build() if build is not None else None
    ready, stop, calls = threading.Event(), threading.Event(), [0]

    def loop() -> None:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
        model = shared or PoseModel()
        model.landmarks(image)
        ready.set()
        while not stop.is_set():
            model.landmarks(image)
            calls[0] += 1
        if shared is None:
            model.close()

    thread = threading.Thread(target=loop)
    thread.start()
    ready.wait()
    loops = spin(seconds)
    stop.set()
    thread.join()
    if shared is not None:
        shared.close()
    return loops, calls[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    shares: dict[str, list[float]] = {"built on a normal thread": [], "built on the niced one": []}
    pose_calls: dict[str, list[int]] = {name: [] for name in shares}
    for _ in range(args.runs):
        for name, build in zip(shares, (PoseModel, None), strict=True):
            before = spin(args.seconds)
            loops, calls = beside_pose(build, args.seconds)
            alone = (before + spin(args.seconds)) / 2  # the machine's speed around the run
            shares[name].append(loops / alone)
            pose_calls[name].append(calls)
    for name, values in shares.items():
        print(
            f"pose graph {name}: the busy thread kept {median(values):.0%} of its speed, "
            f"{median(pose_calls[name])} pose calls in {args.seconds:g} s "
            f"(medians of {args.runs} runs)"
        )


if __name__ == "__main__":
    main()
