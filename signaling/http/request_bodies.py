"""Reading request bodies within a size limit and a time limit: a client that sends its body
slowly (or stops halfway) gets ``408 request_timeout`` instead of holding a connection."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

from aiohttp import web

from signaling.services.errors import PayloadTooLarge, RequestTimeout

T = TypeVar("T")


class Deadline:
    """A body must arrive within ``timeout`` seconds, plus one second per ``min_rate`` bytes
    received (uploads: a large file may take long, but not at a trickle)."""

    def __init__(self, timeout: float, min_rate: float | None = None) -> None:
        self.timeout = timeout
        self.min_rate = min_rate
        self._start = time.monotonic()

    def remaining(self, received: int = 0) -> float:
        allowed = self.timeout + (received / self.min_rate if self.min_rate else 0.0)
        return self._start + allowed - time.monotonic()

    async def within(self, step: Awaitable[T], received: int = 0) -> T:
        """``step``, or :class:`RequestTimeout` once the deadline has passed."""
        try:
            return await asyncio.wait_for(step, max(0.0, self.remaining(received)))
        except TimeoutError:
            rate = f" (and {self.min_rate / 1024:.0f} KiB/s after it)" if self.min_rate else ""
            raise RequestTimeout(
                "the request body did not arrive within {timeout} s{rate}",
                timeout=format(self.timeout, "g"),
                rate=rate,
                headers={"Connection": "close"},
            ) from None


async def read_body(request: web.Request, limit: int, timeout: float) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge("request body is over the {limit}-byte limit", limit=limit)
    try:
        return await Deadline(timeout).within(request.read())
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge("request body is over the {limit}-byte limit", limit=limit) from None
