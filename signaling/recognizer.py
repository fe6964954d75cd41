"""The machine's recogniser: one process holding one copy of each speech model, serving every
worker (and anything else that speaks OpenAI's transcription API) at
``POST /v1/audio/transcriptions``.

``python server.py recognizer`` runs it alone; ``python server.py --workers N`` starts and
supervises one for its workers (``LENS_ASR_SHARED``). Calls wait in one queue, the most urgent
first (a final an interview waits on, then other finals, then partials: the
``X-Lens-Priority`` header), at most ``MAX_PENDING`` of them (then ``503``); up to
``LENS_ASR_BATCH`` are decoded at once, their model calls batched
(``analyzers/words/batching.py``). ``/metrics`` shows the queue, the batches and the lag.

It reads only what Lens sends (16 kHz mono WAV, 32-bit float or 16-bit, at most 30 s):
anything else is a ``400`` that says so. Bind it to loopback or a private network: it has no
credentials of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiohttp import BodyPartReader, web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from analyzers import AUDIO_RATE
from analyzers.words.batching import priority
from analyzers.words.language import language_family
from analyzers.words.recognition import Recognition
from webrtc.recognition.wire import (
    MAX_BYTES,
    PATH,
    PRIORITY_HEADER,
    WireError,
    samples_of,
    verbose_json,
)
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.recognizers import local_recognizers

log = logging.getLogger(__name__)

MAX_PENDING = 64
"""Calls waiting at most; past it ``503`` (the worker's local model answers)."""


class Full(Exception):
    """The queue is full."""


@dataclass(order=True)
class _Job:
    urgency: int
    order: int
    samples: np.ndarray = field(compare=False)
    language: str | None = field(compare=False)
    queued_at: float = field(compare=False)
    done: asyncio.Future[Recognition] = field(compare=False)


class RecognitionService:
    """The queue and the models (see the module docstring)."""

    def __init__(self, config: PipelineConfig, *, max_pending: int = MAX_PENDING) -> None:
        self._recognizers, self.rendezvous = local_recognizers(config)
        self.concurrency = max(1, config.asr_batch)
        self.max_pending = max_pending
        self._queue: asyncio.PriorityQueue[_Job] = asyncio.PriorityQueue()
        self._executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix="lens-asr")
        self._order = itertools.count()
        self._tasks: list[asyncio.Task[None]] = []
        self.busy = 0
        self.lags: deque[float] = deque(maxlen=512)
        """Seconds from a call's arrival to its answer, recent ones."""
        self.metrics = CollectorRegistry()
        self.calls = Counter("lens_recognizer_calls", "Calls answered", registry=self.metrics)
        self.failures = Counter(
            "lens_recognizer_failures", "Calls the model failed on", registry=self.metrics
        )
        self.refused = Counter(
            "lens_recognizer_refused", "Calls refused: the queue was full", registry=self.metrics
        )
        self.latency = Histogram(
            "lens_recognizer_seconds",
            "From a call's arrival to its answer",
            buckets=(0.25, 0.5, 1, 2, 3, 5, 10, 20, 30),
            registry=self.metrics,
        )
        Gauge("lens_recognizer_queued", "Calls waiting", registry=self.metrics).set_function(
            self._queue.qsize
        )
        Gauge("lens_recognizer_busy", "Calls being decoded", registry=self.metrics).set_function(
            lambda: self.busy
        )
        stats = self.rendezvous.stats if self.rendezvous else None
        Gauge(
            "lens_recognizer_batches", "Batched model calls run", registry=self.metrics
        ).set_function(lambda: stats.batches if stats else 0)
        Gauge(
            "lens_recognizer_batched_calls",
            "Model calls run in those batches (divided by batches: the mean batch size)",
            registry=self.metrics,
        ).set_function(lambda: stats.calls if stats else 0)
        Gauge(
            "lens_recognizer_lag_p95_seconds",
            "95th percentile of the recent calls' time to an answer",
            registry=self.metrics,
        ).set_function(lambda: float(np.percentile(self.lags, 95)) if self.lags else 0.0)

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        for n in range(self.concurrency):
            self._tasks.append(asyncio.create_task(self._work(), name=f"lens-recognizer-{n}"))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def recognize(
        self, samples: np.ndarray, language: str | None, urgency: int
    ) -> Recognition:
        if self._queue.qsize() >= self.max_pending:
            self.refused.inc()
            raise Full
        job = _Job(
            urgency,
            next(self._order),
            samples,
            language,
            time.monotonic(),
            asyncio.get_running_loop().create_future(),
        )
        self._queue.put_nowait(job)
        return await job.done

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            job = await self._queue.get()
            if job.done.cancelled():
                continue  # its caller went away
            self.busy += 1
            try:
                result = await loop.run_in_executor(self._executor, self._decode, job)
            except Exception as exc:
                self.failures.inc()
                log.exception("speech recognition failed")
                if not job.done.done():
                    job.done.set_exception(exc)
                continue
            finally:
                self.busy -= 1
            waited = time.monotonic() - job.queued_at
            self.lags.append(waited)
            self.latency.observe(waited)
            self.calls.inc()
            if not job.done.done():
                job.done.set_result(result)

    def _decode(self, job: _Job) -> Recognition:
        recognizer = self._recognizers(language_family(job.language or "en"))
        taking_part = self.rendezvous.taking_part() if self.rendezvous else contextlib.nullcontext()
        with priority(job.urgency), taking_part:
            return recognizer.recognize(job.samples, job.language)


SERVICE: web.AppKey[RecognitionService] = web.AppKey("recognition", RecognitionService)


def _error(status: int, message: str, code: str) -> web.Response:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return web.json_response(
        {"error": {"message": message, "type": kind, "code": code}}, status=status
    )


async def _form(request: web.Request) -> dict[str, Any]:
    """The request's fields, the file as bytes (within :data:`MAX_BYTES` in all)."""
    if not request.content_type.startswith("multipart/"):
        raise WireError("send multipart/form-data with a 'file' field")
    fields: dict[str, Any] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        data = await part.read()
        fields[part.name] = data if part.name == "file" else data.decode(errors="replace")
    return fields


async def post_transcription(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    try:
        fields = await _form(request)
        if "file" not in fields:
            raise WireError("the request has no 'file' field")
        language = fields.get("language") or None
        if language not in (None, "en", "zh"):
            raise WireError(f"language must be 'en' or 'zh', not {str(language)[:20]!r}")
        samples = await asyncio.to_thread(samples_of, fields["file"])
        urgency = int(request.headers.get(PRIORITY_HEADER, "1"))
    except (WireError, ValueError) as exc:
        return _error(400, str(exc), "invalid_request")
    try:
        recognition = await service.recognize(samples, language, max(0, min(urgency, 2)))
    except Full:
        return _error(503, "the recogniser is busy; try again shortly", "busy")
    except Exception as exc:
        return _error(500, f"recognition failed: {type(exc).__name__}", "recognition_failed")
    answer = verbose_json(recognition, samples.size / AUDIO_RATE)
    if fields.get("response_format", "json") in ("json", "text"):
        answer = {"text": answer["text"]}
    return web.json_response(answer)


async def get_models(request: web.Request) -> web.Response:
    return web.json_response({"object": "list", "data": [{"id": "whisper", "object": "model"}]})


async def get_health(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    return web.json_response({"status": "ok", "queued": service.queued, "busy": service.busy})


async def get_metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[SERVICE].metrics)
    return web.Response(body=body, content_type="text/plain", charset="utf-8")


def create_recognizer_app(config: PipelineConfig) -> web.Application:
    app = web.Application(client_max_size=MAX_BYTES)

    async def running(app: web.Application) -> AsyncIterator[None]:
        service = RecognitionService(config)
        service.start()
        app[SERVICE] = service
        yield
        await service.close()

    app.cleanup_ctx.append(running)
    app.router.add_post(PATH, post_transcription)
    app.router.add_get("/v1/models", get_models)
    app.router.add_get("/health", get_health)
    app.router.add_get("/metrics", get_metrics)
    return app


def serve_recognizer(config: PipelineConfig, host: str, port: int) -> int:
    """Serve until SIGTERM or SIGINT."""
    web.run_app(create_recognizer_app(config), host=host, port=port, print=None, access_log=None)
    return 0
