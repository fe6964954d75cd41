"""Write-behind for everything a live session stores: writes queue here without blocking the
session and are flushed in batches by one background task. When the store is down (or its
disk full, or its database locked), batches go back to the front of the queue and are retried
with backoff. When the queue is full the oldest write that can be lost is dropped and counted:
a live result, an event or a checkpoint; a session's record and its report are never dropped
(there are at most a few per session, so they are bounded by the sessions). Nothing here ever
raises into a session.

A worker stopped while the store is away writes the records and reports it still holds to a
**spool** (JSON lines in ``LENS_DATA_DIR/spool``); the next worker to start on that data
directory writes them first."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from signaling.storage.base import SessionRecord

log = logging.getLogger(__name__)

Op = tuple[Any, ...]
KEPT = ("session", "report")
"""Kinds of write never dropped for room: what a person comes back for."""


def _alive(suffix: str) -> bool:
    """Whether the worker whose pid is ``suffix`` (``.1234``) still runs."""
    try:
        os.kill(int(suffix.lstrip(".")), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _encode(op: Op) -> dict[str, Any]:
    if op[0] == "session":
        return {"kind": "session", "record": op[1].to_dict()}
    return {"kind": "report", "session_id": op[1], "report": op[2]}


def _decode(line: dict[str, Any]) -> Op:
    if line["kind"] == "session":
        return ("session", SessionRecord.from_json(json.dumps(line["record"])))
    return ("report", str(line["session_id"]), line["report"])


class WriteBuffer:
    def __init__(
        self,
        flush: Callable[[list[Op]], Awaitable[None]],
        *,
        capacity: int = 10_000,
        batch: int = 500,
        transient: tuple[type[BaseException], ...] = (OSError,),
        max_backoff: float = 2.0,
        spool: Path | None = None,
    ) -> None:
        self._flush = flush
        self._spool = spool
        self._ops: deque[Op] = deque()
        self._capacity = capacity
        self._batch = batch
        self._transient = transient
        self._max_backoff = max_backoff
        self._ready = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._spooled: asyncio.Task[None] | None = None
        self.healthy = True
        self.last_error: str | None = None
        """Why the last flush failed, while the store is failing."""
        self.flushed = 0
        self.dropped = 0
        self.failures = 0
        self.discarded = 0
        """Writes the store refused for what they are (not for its state): never retried."""

    async def start(self) -> None:
        """Start writing; what a stopped worker spooled is queued first and given a few
        seconds to be stored, so that a session it ended is not then recovered as lost."""
        self._task = asyncio.create_task(self._run(), name="lens-store-writer")
        claimed = await asyncio.to_thread(self._claim_spool)
        if claimed:
            await self._queue_spool(claimed)
            self._spooled = asyncio.create_task(
                self._remove_spool(claimed), name="lens-store-spool"
            )
            await self.drain(timeout=10.0)

    def _claim_spool(self) -> list[Path]:
        """Spool files left by stopped workers, renamed to this one (two workers starting at
        once never both take a file)."""
        if self._spool is None or not self._spool.is_dir():  # off the loop: files and renames
            return []
        claimed = []
        orphans = [p for p in self._spool.glob("*.loading") if not _alive(p.suffixes[-2])]
        for path in sorted([*self._spool.glob("*.jsonl"), *orphans]):
            mine = self._spool / f"{path.name.split('.')[0]}.{os.getpid()}.loading"
            try:
                path.rename(mine)
            except OSError:
                continue
            claimed.append(mine)
        return claimed

    async def _queue_spool(self, claimed: list[Path]) -> None:
        """Queue the spooled writes (files read off the event loop)."""
        texts = await asyncio.to_thread(lambda: [path.read_text() for path in claimed])
        count = 0
        for path, text in zip(claimed, texts, strict=True):
            for line in text.splitlines():
                try:
                    op = _decode(json.loads(line))
                except (ValueError, KeyError, TypeError) as exc:
                    log.error("spool %s: a line that is not a write (%s); skipped", path, exc)
                    continue
                self.put(op)
                count += 1
        log.warning("writing %d record(s) and report(s) a stopped worker spooled", count)

    async def _remove_spool(self, claimed: list[Path]) -> None:
        """The spool files, once what they held is stored."""
        while not await self.drain(timeout=60.0):
            pass
        for path in claimed:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    def _write_spool(self) -> None:
        """At close with the store away: keep the records and reports not yet written."""
        kept = [op for op in self._ops if op[0] in KEPT]
        if not kept:
            return
        if self._spool is None:
            log.error("store away at stop: %d record(s) and report(s) lost", len(kept))
            return
        try:
            self._spool.mkdir(parents=True, exist_ok=True)
            name = f"{time.time_ns()}-{os.getpid()}"
            partial = self._spool / f"{name}.partial"
            partial.write_text("".join(json.dumps(_encode(op)) + "\n" for op in kept))
            partial.rename(self._spool / f"{name}.jsonl")
        except OSError as exc:
            log.error("store away at stop, spool not written (%s): %d lost", exc, len(kept))
            return
        log.warning(
            "store away at stop: %d record(s) and report(s) spooled to %s", len(kept), self._spool
        )

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
                except asyncio.CancelledError:
                    self._ops.extendleft(reversed(batch))  # stopping: kept for the spool
                    raise
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
        flushed = await self.drain(timeout)
        for task in (self._spooled, self._task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if not flushed:
            await asyncio.to_thread(self._write_spool)

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
