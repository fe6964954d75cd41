"""The Redis store (``redis.asyncio``), for several workers and several machines.

Keys (``prefix`` defaults to ``lens``; the full layout and expiry rules are in
``docs/storage.md``): ``{prefix}:session:{id}`` (record, JSON string), ``{prefix}:sessions``
(sorted set of ids by creation time), ``{prefix}:results:{id}`` (stream of live results, trimmed
with ``MAXLEN ~``), ``{prefix}:report:{id}`` (report, JSON string), ``{prefix}:events``
(stream of ``session.created`` / ``session.ended``), ``{prefix}:deleted:{id}`` (tombstone of
a deleted session: until it is erased, then for a day), ``{prefix}:erasing`` (set of ids
tombstoned and not yet erased), ``{prefix}:live`` (set of ids whose record is in a live state),
``{prefix}:checkpoint:{id}`` (a live session's report so far), ``{prefix}:worker:{worker}``
(a worker's heartbeat, expiring) and ``{prefix}:ending:{id}`` (a short claim, so one worker
ends a lost session).

Writes from live sessions go through a bounded :class:`WriteBuffer`, so a Redis outage never
stalls analysis or the data channel; API reads and writes during an outage raise
:class:`StoreUnavailable` (HTTP 503).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from signaling.storage.base import TOMBSTONE_SECONDS, SessionRecord, StoreUnavailable, lost
from signaling.storage.buffer import Op, WriteBuffer

TRANSIENT = (RedisConnectionError, RedisTimeoutError, OSError)

_CHECKPOINT = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
end
return 0
"""
"""KEYS: the live set, the checkpoint key; ARGV: session id, report JSON, expiry seconds."""


def _session_of(op: Op) -> str | None:
    """The session a buffered write belongs to (``None``: an event)."""
    if op[0] == "session":
        return str(op[1].id)
    return None if op[0] == "event" else str(op[1])


def _already_stored(error: RedisError) -> bool:
    """XADD of an entry a retried batch had already stored."""
    return "equal or smaller than the target stream top item" in str(error)


class RedisStore:
    def __init__(
        self,
        url: str,
        *,
        prefix: str = "lens",
        record_ttl: int = 7 * 24 * 3600,
        stream_maxlen: int = 20_000,
        buffer_size: int = 20_000,
        spool: Path | None = None,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.record_ttl = record_ttl
        self.stream_maxlen = stream_maxlen
        self._redis = aioredis.from_url(
            url, socket_timeout=2.0, socket_connect_timeout=2.0, health_check_interval=10
        )
        self.writer = WriteBuffer(
            self._flush, capacity=buffer_size, transient=TRANSIENT, spool=spool
        )
        # Per-session stream IDs, so a batch retried after a half-applied pipeline is refused
        # entry by entry ("equal or smaller than the top item") instead of stored twice.
        self._stream_ids: dict[str, tuple[int, int]] = {}

    def key(self, kind: str, session_id: str | None = None) -> str:
        base = f"{self.prefix}:{kind}"
        return base if session_id is None else f"{base}:{session_id}"

    async def start(self) -> None:
        await self.writer.start()

    async def close(self) -> None:
        await self.writer.close()
        await self._redis.aclose()

    async def _flush(self, batch: list[Op]) -> None:
        deleted = await self._tombstoned({_session_of(op) for op in batch} - {None})
        pipe = self._redis.pipeline(transaction=False)
        for op in batch:
            kind = op[0]
            if _session_of(op) in deleted:
                continue  # buffered before its DELETE: never stored again
            if kind == "result":
                _, session_id, entry_id, message_type, body = op
                stream = self.key("results", session_id)
                pipe.xadd(
                    stream,
                    {"type": message_type, "body": body},
                    id=entry_id,
                    maxlen=self.stream_maxlen,
                    approximate=True,
                )
                pipe.expire(stream, self.record_ttl)
            elif kind == "session":
                self._queue_record(pipe, op[1])
            elif kind == "report":
                _, session_id, text = op
                pipe.set(self.key("report", session_id), text, ex=self.record_ttl)
            elif kind == "checkpoint":
                _, session_id, text = op
                # Only while the session is live (its id in the live set): a checkpoint that
                # arrives after its end or its deletion is not kept.
                pipe.eval(
                    _CHECKPOINT,
                    2,
                    self.key("live"),
                    self.key("checkpoint", session_id),
                    session_id,
                    text,
                    self.record_ttl,
                )
            elif kind == "event":
                _, name, session_id = op
                pipe.xadd(
                    self.key("events"),
                    {"event": name, "session_id": session_id},
                    maxlen=100_000,
                    approximate=True,
                )
        for outcome in await pipe.execute(raise_on_error=False):
            if isinstance(outcome, RedisError) and not _already_stored(outcome):
                raise outcome

    def _queue_record(self, pipe: Any, record: SessionRecord) -> None:
        pipe.set(self.key("session", record.id), record.to_json(), ex=self.record_ttl)
        pipe.zadd(self.key("sessions"), {record.id: record.created_at})
        if record.subject is not None:
            subject = self.key("subject", record.subject)
            pipe.zadd(subject, {record.id: record.created_at})
            pipe.expire(subject, self.record_ttl)
        if record.state.live:
            pipe.sadd(self.key("live"), record.id)
        else:
            pipe.srem(self.key("live"), record.id)
            pipe.delete(self.key("checkpoint", record.id))

    async def _call(self, coro: Any) -> Any:
        try:
            return await coro
        except TRANSIENT as exc:
            raise StoreUnavailable(f"Redis at {self.url} is unreachable: {exc}") from exc
        except RedisError as exc:
            raise StoreUnavailable(f"Redis error: {exc}") from exc

    async def put_session(self, record: SessionRecord) -> None:
        pipe = self._redis.pipeline(transaction=False)
        self._queue_record(pipe, record)
        await self._call(pipe.execute())

    def enqueue_session(self, record: SessionRecord) -> None:
        self.writer.put(("session", record))

    def enqueue_event(self, name: str, session_id: str) -> None:
        self.writer.put(("event", name, session_id))

    async def _tombstoned(self, ids: Collection[str | None]) -> set[str]:
        """Which of ``ids`` are deleted (raises the client's own errors, for the writer)."""
        wanted = [i for i in ids if i is not None]
        if not wanted:
            return set()
        marks = await self._redis.mget([self.key("deleted", i) for i in wanted])
        return {i for i, mark in zip(wanted, marks, strict=True) if mark is not None}

    async def _kept(self, kind: str, ids: list[str]) -> list[Any]:
        """The ``kind`` values of ``ids`` in one round trip, ``None`` for a tombstoned one."""
        keys = [self.key(kind, i) for i in ids] + [self.key("deleted", i) for i in ids]
        values = await self._call(self._redis.mget(keys))
        texts, marks = values[: len(ids)], values[len(ids) :]
        return [None if mark is not None else text for text, mark in zip(texts, marks, strict=True)]

    async def get_session(self, session_id: str) -> SessionRecord | None:
        (text,) = await self._kept("session", [session_id])
        return SessionRecord.from_json(text) if text else None

    async def list_sessions(self, offset: int, limit: int) -> tuple[list[SessionRecord], int]:
        index = self.key("sessions")
        ids = await self._call(self._redis.zrevrange(index, offset, offset + limit - 1))
        records: list[SessionRecord] = []
        if ids:
            texts = await self._kept("session", [i.decode() for i in ids])
            expired = [i for i, text in zip(ids, texts, strict=True) if text is None]
            if expired:  # their records expired: drop them from the index too
                await self._call(self._redis.zrem(index, *expired))
            records = [SessionRecord.from_json(t) for t in texts if t is not None]
        total = await self._call(self._redis.zcard(index))
        return records, int(total)

    async def subject_sessions(self, subject: str) -> list[SessionRecord]:
        index = self.key("subject", subject)
        ids = await self._call(self._redis.zrange(index, 0, -1))
        if not ids:
            return []
        texts = await self._kept("session", [i.decode() for i in ids])
        gone = [i for i, text in zip(ids, texts, strict=True) if text is None]
        if gone:  # expired or deleted: drop them from the index too
            await self._call(self._redis.zrem(index, *gone))
        return [SessionRecord.from_json(t) for t in texts if t is not None]

    async def forget_subject(self, subject: str) -> None:
        await self._call(self._redis.delete(self.key("subject", subject)))

    async def tombstone(self, session_id: str) -> None:
        pipe = self._redis.pipeline(transaction=True)
        pipe.set(self.key("deleted", session_id), b"1")
        pipe.sadd(self.key("erasing"), session_id)
        await self._call(pipe.execute())

    async def unerased(self) -> list[str]:
        return [i.decode() for i in await self._call(self._redis.smembers(self.key("erasing")))]

    async def delete_session(self, session_id: str) -> bool:
        text = await self._call(self._redis.get(self.key("session", session_id)))
        record = SessionRecord.from_json(text) if text else None
        pipe = self._redis.pipeline(transaction=True)
        if record is not None and record.subject is not None:
            pipe.zrem(self.key("subject", record.subject), session_id)
        pipe.delete(
            self.key("session", session_id),
            self.key("results", session_id),
            self.key("report", session_id),
            self.key("checkpoint", session_id),
            self.key("ending", session_id),
        )
        pipe.zrem(self.key("sessions"), session_id)
        pipe.srem(self.key("live"), session_id)
        pipe.set(self.key("deleted", session_id), b"1", ex=int(TOMBSTONE_SECONDS))
        pipe.srem(self.key("erasing"), session_id)
        deleted = (await self._call(pipe.execute()))[-5]
        return int(deleted) > 0

    async def deleted_among(self, session_ids: Collection[str]) -> set[str]:
        ids = list(session_ids)
        if not ids:
            return set()
        marks = await self._call(self._redis.mget([self.key("deleted", i) for i in ids]))
        return {i for i, mark in zip(ids, marks, strict=True) if mark is not None}

    def append_result(self, session_id: str, message_type: str, body: str) -> None:
        millis, seq = self._stream_ids.get(session_id, (0, 0))
        now = max(millis, int(time.time() * 1000))
        seq = seq + 1 if now == millis else 0
        self._stream_ids[session_id] = (now, seq)
        self.writer.put(("result", session_id, f"{now}-{seq}", message_type, body))

    def forget_stream(self, session_id: str) -> None:
        """The session ended: its stream takes no more entries from this worker."""
        self._stream_ids.pop(session_id, None)

    def enqueue_report(self, session_id: str, report: dict[str, Any]) -> None:
        self.writer.put(("report", session_id, json.dumps(report, separators=(",", ":"))))

    async def get_report(self, session_id: str) -> dict[str, Any] | None:
        (text,) = await self._kept("report", [session_id])
        return json.loads(text) if text else None

    def enqueue_checkpoint(self, session_id: str, report: dict[str, Any]) -> None:
        self.writer.put(("checkpoint", session_id, json.dumps(report, separators=(",", ":"))))

    async def beat(self, worker: str, until: float) -> None:
        seconds = max(1, math.ceil(until - time.time()))
        await self._call(self._redis.set(self.key("worker", worker), b"1", ex=seconds))

    async def forget_worker(self, worker: str) -> None:
        await self._call(self._redis.delete(self.key("worker", worker)))

    async def alive_workers(self, workers: Collection[str]) -> set[str]:
        ids = list(workers)
        if not ids:
            return set()
        marks = await self._call(self._redis.mget([self.key("worker", w) for w in ids]))
        return {w for w, mark in zip(ids, marks, strict=True) if mark is not None}

    async def live_sessions(self) -> list[SessionRecord]:
        ids = [i.decode() for i in await self._call(self._redis.smembers(self.key("live")))]
        if not ids:
            return []
        texts = await self._kept("session", ids)
        gone = [i for i, text in zip(ids, texts, strict=True) if text is None]
        if gone:  # expired, erased or deleted: not live any more
            await self._call(self._redis.srem(self.key("live"), *gone))
        records = [SessionRecord.from_json(text) for text in texts if text is not None]
        return [r for r in records if r.state.live]

    async def end_lost(self, session_id: str, worker: str, now: float) -> SessionRecord | None:
        claimed = await self._call(
            self._redis.set(self.key("ending", session_id), worker, nx=True, ex=60)
        )
        if not claimed:
            return None
        text, saved, deleted = await self._call(
            self._redis.mget(
                [
                    self.key("session", session_id),
                    self.key("checkpoint", session_id),
                    self.key("deleted", session_id),
                ]
            )
        )
        record = SessionRecord.from_json(text) if text and not deleted else None
        if record is None or not record.state.live or record.worker != worker:
            return None
        checkpoint = json.loads(saved) if saved else None
        ended = lost(record, checkpoint, now)
        pipe = self._redis.pipeline(transaction=True)
        if saved:
            pipe.set(self.key("report", session_id), saved, ex=self.record_ttl)
        self._queue_record(pipe, ended)
        pipe.xadd(
            self.key("events"),
            {"event": "session.ended", "session_id": session_id},
            maxlen=100_000,
            approximate=True,
        )
        await self._call(pipe.execute())
        return ended

    def health(self) -> dict[str, Any]:
        return {"kind": "redis", **self.writer.stats()}
