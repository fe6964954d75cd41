"""Write-behind for everything a live session stores: writes queue here without blocking the
session and are flushed in batches by one background task. When the store is down, batches go
back to the front of the queue and are retried with backoff; when the queue is full the oldest
write is dropped and counted. Nothing here ever raises into a session."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

Op = tuple[Any, ...]


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
        self.flushed = 0
        self.dropped = 0
        self.failures = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="lens-store-writer")

    def put(self, op: Op) -> None:
        if len(self._ops) >= self._capacity:
            self._ops.popleft()
            self.dropped += 1
        self._ops.append(op)
        self._idle.clear()
        self._ready.set()

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
                    # Put the batch back in front, newest writes win if that overflows.
                    for op in reversed(batch):
                        if len(self._ops) >= self._capacity:
                            self.dropped += 1
                            continue
                        self._ops.appendleft(op)
                    self.failures += 1
                    if self.healthy:
                        log.warning("store unreachable, buffering writes: %s", exc)
                    self.healthy = False
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self._max_backoff)
                    continue
                except Exception:
                    log.exception("store write failed; %d writes discarded", len(batch))
                    self.dropped += len(batch)
                    continue
                if not self.healthy:
                    log.warning("store reachable again; %d writes pending", len(self._ops))
                self.healthy = True
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
            "failures": self.failures,
        }
