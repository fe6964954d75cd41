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
import logging
import time
from typing import Any

import aiohttp

from webrtc.runtime.answer_review import Review, ReviewRequest, parse_review, prompt

log = logging.getLogger(__name__)


class LanguageModel:
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
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = timeout
        self._slots = asyncio.Semaphore(workers)
        self._queue = queue + workers
        self._max_tokens = max_tokens
        self._waiting = 0
        self._http: aiohttp.ClientSession | None = None
        self.asked = 0
        self.answered = 0
        self.dropped = 0
        self.failed = 0

    async def review(self, request: ReviewRequest) -> Review | None:
        if self._waiting >= self._queue:
            self.dropped += 1
            return None
        self._waiting += 1
        try:
            async with self._slots:
                return await self._ask(request)
        finally:
            self._waiting -= 1

    async def _ask(self, request: ReviewRequest) -> Review | None:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        body: dict[str, Any] = {
            "model": self.model,
            "messages": prompt(request),
            "max_tokens": self._max_tokens,
            "temperature": 0.3,
        }
        self.asked += 1
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):
                async with self._http.post(self.url, json=body, headers=self._headers) as response:
                    if response.status != 200:
                        raise RuntimeError(f"HTTP {response.status}")
                    data = await response.json(content_type=None)
            text = data["choices"][0]["message"]["content"]
            if not isinstance(text, str):
                raise TypeError("no text in the reply")
        except (TimeoutError, aiohttp.ClientError, RuntimeError, KeyError, IndexError, TypeError,
                ValueError) as exc:  # fmt: skip
            self.failed += 1
            log.warning("language model: no review (%s)", type(exc).__name__)
            return None
        review = parse_review(text, time.perf_counter() - started)
        if review is None:
            self.failed += 1
        else:
            self.answered += 1
        return review

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
