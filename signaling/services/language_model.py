"""The operator's language model: any OpenAI-compatible chat endpoint (a local llama.cpp, vLLM
or Ollama server, or a hosted one in its compatible mode), asked for each answer's review.

Asynchronous and bounded: at most ``LENS_LLM_WORKERS`` requests at once and
``LENS_LLM_QUEUE`` waiting (the rest are dropped and counted), each cut off after
``LENS_LLM_TIMEOUT`` seconds; a failure is one log line and no review, never a delayed result.
The reply is streamed (``"stream": true``, server-sent events), so the page sees the first words
as the model writes them. What is sent is the question, its guide, what was measured and the
answer's transcript (:func:`~webrtc.runtime.answer_review.prompt`), only for sessions created
with ``interview.llm: true``; nothing is logged of it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from webrtc.runtime.answer_review import Review, ReviewRequest, parse_review, prompt

log = logging.getLogger(__name__)

MAX_REPLY_BYTES = 256 * 1024
STREAM_EVERY = 0.15
"""Seconds between two updates of a streaming reply (fewer messages, the same first words)."""


class LanguageModel:
    """Requests go out on this client's own threads (``workers`` of them: the standard
    library's HTTP client, so the services stay framework-free), never on the event loop."""

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        workers: int = 1,
        queue: int = 8,
        max_tokens: int = 160,
    ) -> None:
        self.url = url.rstrip("/") + "/chat/completions"
        self.model = model
        self._headers = {"Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._timeout = timeout
        self._threads = ThreadPoolExecutor(workers, thread_name_prefix="lens-llm")
        self._queue = queue + workers
        self._max_tokens = max_tokens
        self._waiting = 0
        self.asked = 0
        self.answered = 0
        self.dropped = 0
        self.failed = 0

    async def review(
        self, request: ReviewRequest, on_text: Callable[[str], None] | None = None
    ) -> Review | None:
        if self._waiting >= self._queue:
            self.dropped += 1
            return None
        self._waiting += 1
        self.asked += 1
        started = time.perf_counter()
        first: list[float] = []
        loop = asyncio.get_running_loop()

        def streamed(text: str) -> None:  # on a worker thread
            if not first:
                first.append(time.perf_counter() - started)
            if on_text is not None:
                loop.call_soon_threadsafe(on_text, text)

        try:
            text = await asyncio.wait_for(
                loop.run_in_executor(self._threads, self._post, request, streamed),
                self._timeout + 1,
            )
        except (TimeoutError, OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            self.failed += 1
            log.warning("language model: no review (%s)", type(exc).__name__)
            return None
        finally:
            self._waiting -= 1
        # Read off the event loop: a reply is up to 256 KB of text from outside.
        review = await asyncio.to_thread(parse_review, text, time.perf_counter() - started)
        if review is None:
            self.failed += 1
            return None
        self.answered += 1
        return replace(review, first_words=first[0] if first else None)

    def _post(self, request: ReviewRequest, streamed: Callable[[str], None]) -> str:
        """One chat completion (on a worker thread), streamed: ``streamed`` is told the text
        so far every :data:`STREAM_EVERY` seconds; the whole reply's text is returned. A server
        that answers in one piece (no event stream) works too."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": prompt(request),
            "max_tokens": self._max_tokens,
            "temperature": 0.3,
            "stream": True,
        }
        sent = urllib.request.Request(
            self.url, json.dumps(body).encode(), self._headers, method="POST"
        )
        deadline = time.monotonic() + self._timeout
        with urllib.request.urlopen(sent, timeout=self._timeout) as response:
            if "text/event-stream" not in response.headers.get("Content-Type", ""):
                data = json.loads(b"".join(_chunks(response, deadline)))
                text = data["choices"][0]["message"]["content"]
                if not isinstance(text, str):
                    raise TypeError("no text in the reply")
                streamed(text)
                return text
            parts: list[str] = []
            told = 0.0
            for line in _lines(_chunks(response, deadline)):
                if not line.startswith(b"data:"):
                    continue
                payload = line[5:].strip()
                if payload == b"[DONE]":
                    break
                delta = json.loads(payload)["choices"][0].get("delta", {}).get("content")
                if isinstance(delta, str) and delta:
                    parts.append(delta)
                    now = time.perf_counter()
                    if now - told >= STREAM_EVERY:
                        told = now
                        streamed("".join(parts))
            text = "".join(parts)
            streamed(text)
            return text

    async def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)


def _chunks(response: Any, deadline: float) -> Iterator[bytes]:
    """The reply's bytes as they come, at most :data:`MAX_REPLY_BYTES`; past ``deadline``
    (monotonic) a :class:`TimeoutError`, however slowly the server drips, so the worker thread
    is freed when the review gives up."""
    size = 0
    while chunk := response.read1(16384):
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the model's reply went past LENS_LLM_TIMEOUT")
        yield chunk


def _lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Whole lines of a byte stream, stripped."""
    rest = b""
    for chunk in chunks:
        rest += chunk
        *whole, rest = rest.split(b"\n")
        yield from (line.strip() for line in whole)
    if rest.strip():
        yield rest.strip()
