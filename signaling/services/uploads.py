"""Recorded files uploaded by someone else, analysed where a crash cannot reach live sessions.

A file is untrusted input to FFmpeg's demuxers and decoders: a damaged one has crashed PyAV
with SIGSEGV. Uploads are therefore decoded in a child process (started with ``spawn``, so it
shares nothing with the server's threads), one at a time per worker; a child that dies costs
that one upload (``422``, with the reason) and is replaced for the next. The slot is taken
before the upload's body is read, so a second upload is refused at once rather than after
sending up to ``LENS_MAX_UPLOAD_BYTES``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from pathlib import Path

from analyzers.session.report import Report
from signaling.services.errors import InvalidMedia, ServiceUnavailable
from webrtc.lifecycle import SessionCounters
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.file_analysis import MediaError, analyze_file

log = logging.getLogger(__name__)


class UploadAnalyzer:
    def __init__(self, config: PipelineConfig, max_seconds: float) -> None:
        self._config = config
        self._max_seconds = max_seconds
        self._pool: ProcessPoolExecutor | None = None
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
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    async def analyze(self, path: Path, session_id: str) -> tuple[Report, SessionCounters]:
        """The file's report and counters, from the child process."""
        job = functools.partial(
            analyze_file,
            path,
            self._config,
            max_seconds=self._max_seconds,
            session_id=session_id,
        )
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor(), job)
        except MediaError as exc:
            raise InvalidMedia(str(exc)) from None
        except BrokenProcessPool:
            self._pool = None  # the next upload gets a new child
            log.warning("upload %s crashed its decoder process", session_id)
            raise InvalidMedia(
                "the file crashed the media decoder: it is damaged or not a supported recording"
            ) from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
