"""The operator's language model: any OpenAI-compatible chat endpoint (a local llama.cpp, vLLM
or Ollama server, or a hosted one in its compatible mode), asked for each answer's review.

Asynchronous and bounded: at most ``LENS_LLM_WORKERS`` requests at once and
``LENS_LLM_QUEUE`` waiting (the rest are dropped and counted), each cut off after
``LENS_LLM_TIMEOUT`` seconds; a failure is one log line and no review, never a delayed result.
What is sent is the question and the answer's transcript (:func:`~webrtc.runtime.answer_review
.prompt`), only for sessions created with ``interview.llm: true``; nothing is logged of it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from webrtc.runtime.answer_review import Review, ReviewRequest, parse_review, prompt

log = logging.getLogger(__name__)

MAX_REPLY_BYTES = 256 * 1024


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

    async def review(self, request: ReviewRequest) -> Review | None:
        if self._waiting >= self._queue:
            self.dropped += 1
            return None
        self._waiting += 1
        self.asked += 1
        started = time.perf_counter()
        try:
            loop = asyncio.get_running_loop()
            text = await asyncio.wait_for(
                loop.run_in_executor(self._threads, self._post, request), self._timeout + 1
            )
        except (TimeoutError, OSError, ValueError, KeyError, IndexError, TypeError) as exc:
            self.failed += 1
            log.warning("language model: no review (%s)", type(exc).__name__)
            return None
        finally:
            self._waiting -= 1
        review = parse_review(text, time.perf_counter() - started)
        if review is None:
            self.failed += 1
        else:
            self.answered += 1
        return review

    def _post(self, request: ReviewRequest) -> str:
        """One chat completion (on a worker thread); the reply's text."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": prompt(request),
            "max_tokens": self._max_tokens,
            "temperature": 0.3,
        }
        sent = urllib.request.Request(
            self.url, json.dumps(body).encode(), self._headers, method="POST"
        )
        with urllib.request.urlopen(sent, timeout=self._timeout) as response:
            data = json.loads(response.read(MAX_REPLY_BYTES))
        text = data["choices"][0]["message"]["content"]
        if not isinstance(text, str):
            raise TypeError("no text in the reply")
        return text

    async def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
