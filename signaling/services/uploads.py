"""Recorded files uploaded by someone else, analysed where a crash cannot reach live sessions.

A file is untrusted input to FFmpeg's demuxers and decoders: a damaged one has crashed PyAV
with SIGSEGV. Uploads are therefore decoded in a child process (started with ``spawn``, so it
shares nothing with the server's threads), one at a time per worker; a child that dies costs
that one upload (``422``, with the reason) and is replaced for the next. The slot is taken
before the upload's body is read, so a second upload is refused at once rather than after
sending up to ``LENS_MAX_UPLOAD_BYTES``.

The child tells how far it has come through four numbers in shared memory (which upload,
stage, done, total), which the server reads twice a second while it waits: a number written
over is all the child ever shares, so nothing it does can block or fill a queue of the
server's. (Which upload: a child still busy with one whose client went away must not pass
its figures off as the next one's.)
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from analyzers.interview.questions import Question
from analyzers.session.report import Report
from signaling.services.errors import InvalidMedia, ServiceUnavailable
from webrtc.lifecycle import SessionCounters
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.file_analysis import AnalysisProgress, MediaError, Stage, analyze_file

log = logging.getLogger(__name__)

STAGES: tuple[Stage, ...] = ("analysing", "transcribing")
POLL_SECONDS = 0.5
MIN_DEADLINE_SECONDS = 60.0
KILL_WAIT_SECONDS = 5.0
_shared: Any = None
"""In the child: the shared numbers its progress is written to."""


def _child_start(shared: Any) -> None:
    global _shared
    _shared = shared


def _tell(job: int, progress: AnalysisProgress) -> None:
    """In the child: write ``progress`` of upload ``job`` where the server reads it (-1: no
    total known)."""
    _shared[1] = STAGES.index(progress.stage)
    _shared[2] = progress.done
    _shared[3] = -1.0 if progress.total is None else progress.total
    _shared[0] = job  # last: the figures above are whole when the server sees its number


def _analyze_in_child(
    job: int,
    path: Path,
    config: PipelineConfig,
    max_seconds: float,
    session_id: str,
    questions: tuple[Question, ...],
    known: tuple[Question, ...],
    candidate_voice: str,
) -> tuple[Report, SessionCounters]:
    return analyze_file(
        path,
        config,
        max_seconds=max_seconds,
        session_id=session_id,
        progress=functools.partial(_tell, job),
        questions=questions,
        known=known,
        candidate_voice=candidate_voice,
    )


class UploadAnalyzer:
    def __init__(self, config: PipelineConfig, max_seconds: float) -> None:
        self._config = config
        self._max_seconds = max_seconds
        self.deadline = max(MIN_DEADLINE_SECONDS, max_seconds)
        """Seconds an upload's analysis may take (as long as the longest file lasts, at least
        a minute): then its child is killed and the upload refused."""
        self._pool: ProcessPoolExecutor | None = None
        self._shared: Any = None
        self._jobs = 0
        self._busy = False

    @property
    def busy(self) -> bool:
        return self._busy

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """This worker's one upload slot, or ``503`` at once if another upload holds it."""
        if self._busy:
            raise ServiceUnavailable(
                "another upload is being analysed on this worker; retry shortly",
                headers={"Retry-After": "10"},
            )
        self._busy = True
        try:
            yield
        finally:
            self._busy = False

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._shared = context.Array("d", 4, lock=False)
            self._pool = ProcessPoolExecutor(
                1, mp_context=context, initializer=_child_start, initargs=(self._shared,)
            )
        return self._pool

    def _progress(self) -> AnalysisProgress | None:
        """What the child last wrote of this upload; ``None`` before its first figure."""
        job, stage, done, total = self._shared[:]
        if job != self._jobs:
            return None
        return AnalysisProgress(STAGES[int(stage)], done, None if total < 0 else total)

    async def analyze(
        self,
        path: Path,
        session_id: str,
        progress: Callable[[AnalysisProgress], None] | None = None,
        questions: tuple[Question, ...] = (),
        known: tuple[Question, ...] = (),
        candidate_voice: str = "most",
    ) -> tuple[Report, SessionCounters]:
        """The file's report and counters, from the child process; ``progress`` is told how
        far it has come, twice a second, whenever that changed. ``questions``: the
        interview's, given with the upload; ``known``: the question bank's;
        ``candidate_voice``: which of two voices is the person's."""
        pool = self._executor()
        self._jobs += 1
        job = functools.partial(
            _analyze_in_child, self._jobs, path, self._config, self._max_seconds, session_id,
            questions, known, candidate_voice,
        )  # fmt: skip
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(pool, job)
        deadline = loop.time() + self.deadline
        told: AnalysisProgress | None = None
        try:
            while not future.done():
                await asyncio.wait([future], timeout=POLL_SECONDS)
                if not future.done() and loop.time() > deadline:
                    future.add_done_callback(lambda done: done.exception())  # it is known
                    await self._kill(pool)
                    log.warning("upload %s: analysis past its deadline; child killed", session_id)
                    raise InvalidMedia(
                        "the analysis took longer than {seconds:.0f} s and was stopped",
                        seconds=self.deadline,
                    )
                now = self._progress()
                if progress is not None and now is not None and now != told and not future.done():
                    progress(now)
                    told = now
            return await future
        except MediaError as exc:
            raise InvalidMedia(str(exc)) from None
        except BrokenProcessPool:
            self._pool = None  # the next upload gets a new child
            log.warning("upload %s crashed its decoder process", session_id)
            raise InvalidMedia(
                "the file crashed the media decoder: it is damaged or not a supported recording"
            ) from None

    async def _kill(self, pool: ProcessPoolExecutor) -> None:
        """Kill the decoder child and reap it (a pool has no way to stop a task it started);
        the next upload gets a new one."""
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            process.kill()
        for process in processes:
            await asyncio.to_thread(process.join, KILL_WAIT_SECONDS)
        pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
