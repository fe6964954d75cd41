"""Write-behind for everything a live session stores: writes queue here without blocking the
session and are flushed in batches by one background task. When the store is down (or its
disk full, or its database locked), batches go back to the front of the queue and are retried
with backoff. When the queue is full the oldest write that can be lost is dropped and counted:
a live result, an event or a checkpoint; a session's record and its report are never dropped
(there are at most a few per session, so they are bounded by the sessions). Nothing here ever
raises into a session."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

Op = tuple[Any, ...]
KEPT = ("session", "report")
"""Kinds of write never dropped for room: what a person comes back for."""


class WriteBuffer:
    def __init__(
        self,
        flush: Callable[[list[Op]], Awaitable[None]],
        *,
        capacity: int = 10_000,
        batch: int = 500,
        transient: tuple[type[BaseException], ...] = (OSError,),
        max_backoff: float = 2.0,
    ) -> None:
        self._flush = flush
        self._ops: deque[Op] = deque()
        self._capacity = capacity
        self._batch = batch
        self._transient = transient
        self._max_backoff = max_backoff
        self._ready = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.healthy = True
        self.last_error: str | None = None
        """Why the last flush failed, while the store is failing."""
        self.flushed = 0
        self.dropped = 0
        self.failures = 0
        self.discarded = 0
        """Writes the store refused for what they are (not for its state): never retried."""

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="lens-store-writer")

    def put(self, op: Op) -> None:
        if len(self._ops) >= self._capacity:
            self._make_room()
        self._ops.append(op)
        self._idle.clear()
        self._ready.set()

    def _make_room(self) -> bool:
        """Drop the oldest write that may be lost; ``False`` if every one is kept."""
        for i, queued in enumerate(self._ops):
            if queued[0] not in KEPT:
                del self._ops[i]
                self.dropped += 1
                return True
        return False

    @property
    def pending(self) -> int:
        return len(self._ops)

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            await self._ready.wait()
            self._ready.clear()
            while self._ops:
                batch = [self._ops.popleft() for _ in range(min(self._batch, len(self._ops)))]
                try:
                    await self._flush(batch)
                except self._transient as exc:
                    # Put the batch back in front; if that overflows, its lossy writes (the
                    # oldest there are) go, the kept ones stay.
                    for op in reversed(batch):
                        if len(self._ops) >= self._capacity and op[0] not in KEPT:
                            self.dropped += 1
                            continue
                        self._ops.appendleft(op)
                    self.failures += 1
                    if self.healthy:
                        log.warning("store failing, keeping writes until it is back: %s", exc)
                    self.healthy = False
                    self.last_error = str(exc)[:300]
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self._max_backoff)
                    continue
                except Exception:
                    log.exception("store refused %d writes; they are discarded", len(batch))
                    self.discarded += len(batch)
                    continue
                if not self.healthy:
                    log.warning("store back; %d writes pending", len(self._ops))
                self.healthy = True
                self.last_error = None
                backoff = 0.1
                self.flushed += len(batch)
            self._idle.set()

    async def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every queued write is flushed; ``False`` if that did not happen in time."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self, timeout: float = 5.0) -> None:
        await self.drain(timeout)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def stats(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy,
            "pending": len(self._ops),
            "flushed": self.flushed,
            "dropped": self.dropped,
            "discarded": self.discarded,
            "failures": self.failures,
            "error": self.last_error,
        }
