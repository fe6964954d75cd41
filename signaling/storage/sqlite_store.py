"""The embedded store: sessions and reports in one SQLite file, written on one thread.

Live results are not kept here: they reach the client over the data channel, and a platform
that wants them as a stream configures Redis. WAL mode lets several worker processes on one
machine share the file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from signaling.storage.base import (
    LIVE_STATES,
    TOMBSTONE_SECONDS,
    ReadOnlyDataDir,
    SessionRecord,
    StoreUnavailable,
    lost,
)
from signaling.storage.buffer import Op, WriteBuffer

log = logging.getLogger(__name__)

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_time ON sessions (created_at DESC);
CREATE TABLE IF NOT EXISTS reports (
    session_id TEXT PRIMARY KEY,
    report TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deleted (
    id TEXT PRIMARY KEY,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_state ON sessions (json_extract(record, '$.state'));
CREATE INDEX IF NOT EXISTS sessions_by_subject
    ON sessions (json_extract(record, '$.subject'), created_at);
CREATE TABLE IF NOT EXISTS checkpoints (
    session_id TEXT PRIMARY KEY,
    report TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS workers (
    id TEXT PRIMARY KEY,
    seen_until REAL NOT NULL
);
"""
WORKERS_KEPT = 86_400.0
"""Seconds a heartbeat row outlives its worker (it only needs to outlive the worker's sessions'
end by another worker, which takes seconds)."""
_LIVE = ",".join(f"'{state.value}'" for state in LIVE_STATES)
_KEPT = "id NOT IN (SELECT id FROM deleted)"
_UNERASED = (
    "EXISTS (SELECT 1 FROM sessions WHERE id = deleted.id) "
    "OR EXISTS (SELECT 1 FROM reports WHERE session_id = deleted.id) "
    "OR EXISTS (SELECT 1 FROM checkpoints WHERE session_id = deleted.id)"
)
"""A tombstone whose session still has data (one lookup per table and tombstone)."""
"""Every read honours the tombstones: a deleted session is gone even before it is erased."""
_BUGS = (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)
"""Errors of the statement itself, not of the database's state: retrying cannot help."""


class SqliteStore:
    def __init__(self, path: Path, spool: Path | None = None) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lens-sqlite")
        self._db: sqlite3.Connection | None = None
        self.writer = WriteBuffer(self._flush, transient=(StoreUnavailable,), spool=spool)

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn`` in one transaction (all of it or nothing); a database that cannot be read or
        written (disk full, file gone, locked, read-only) is :class:`StoreUnavailable`: a 503,
        and for buffered writes a retry. A statement that is wrong in itself is raised as is."""

        def call() -> T:
            assert self._db is not None, "store not started"
            with self._db:
                return fn(self._db)

        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, call)
        except _BUGS:
            raise
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"the session database is unavailable: {exc}") from None

    async def start(self) -> None:
        def connect() -> None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                # What is deleted is overwritten with zeros, not left in free pages.
                db.execute("PRAGMA secure_delete=ON")
                db.executescript(SCHEMA)
                with db:  # a write, so that a read-only file or folder shows now, not later
                    db.execute("INSERT OR REPLACE INTO workers VALUES ('-', 0)")
                    db.execute("DELETE FROM workers WHERE id = '-'")
            except sqlite3.OperationalError as exc:
                db.close()
                raise ReadOnlyDataDir(
                    f"the session database {self.path} cannot be written ({exc}): give the "
                    "server a data directory it can write (LENS_DATA_DIR)"
                ) from None
            self._db = db

        await asyncio.get_running_loop().run_in_executor(self._executor, connect)
        await self.writer.start()

    async def _flush(self, batch: list[Op]) -> None:
        def write(db: sqlite3.Connection) -> None:
            for op in batch:
                if op[0] == "session":
                    self._write_record(db, op[1])
                elif op[0] == "report":
                    self._write_report(db, op[1], op[2])
                elif op[0] == "checkpoint":
                    self._write_checkpoint(db, op[1], op[2])

        await self._run(write)

    @staticmethod
    def _write_record(db: sqlite3.Connection, record: SessionRecord) -> None:
        """Never for a tombstoned session: a write buffered before its DELETE stays unwritten."""
        db.execute(
            "INSERT INTO sessions (id, created_at, record) SELECT ?, ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM deleted WHERE id = ?) "
            "ON CONFLICT (id) DO UPDATE SET record = excluded.record",
            (record.id, record.created_at, record.to_json(), record.id),
        )
        if not record.state.live:
            db.execute("DELETE FROM checkpoints WHERE session_id = ?", (record.id,))

    @staticmethod
    def _write_checkpoint(db: sqlite3.Connection, session_id: str, report: dict[str, Any]) -> None:
        """Only while the session's record is live: a checkpoint that arrives after its end
        (or its deletion) is not kept."""
        db.execute(
            "INSERT INTO checkpoints (session_id, report) SELECT ?, ? WHERE EXISTS (SELECT 1 "
            f"FROM sessions WHERE id = ? AND json_extract(record, '$.state') IN ({_LIVE}) "
            f"AND {_KEPT}) "
            "ON CONFLICT (session_id) DO UPDATE SET report = excluded.report",
            (session_id, json.dumps(report, separators=(",", ":")), session_id),
        )

    @staticmethod
    def _write_report(db: sqlite3.Connection, session_id: str, report: dict[str, Any]) -> None:
        db.execute(
            "INSERT INTO reports (session_id, report) SELECT ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM deleted WHERE id = ?) "
            "ON CONFLICT (session_id) DO UPDATE SET report = excluded.report",
            (session_id, json.dumps(report, separators=(",", ":")), session_id),
        )

    async def close(self) -> None:
        await self.writer.close()

        def disconnect() -> None:
            if self._db is not None:
                self._db.close()
                self._db = None

        await asyncio.get_running_loop().run_in_executor(self._executor, disconnect)
        self._executor.shutdown(wait=True)

    async def put_session(self, record: SessionRecord) -> None:
        await self._run(lambda db: self._write_record(db, record))

    def enqueue_session(self, record: SessionRecord) -> None:
        self.writer.put(("session", record))

    def enqueue_event(self, name: str, session_id: str) -> None:
        """Lifecycle events are published on Redis only."""

    async def get_session(self, session_id: str) -> SessionRecord | None:
        row = await self._run(
            lambda db: db.execute(
                f"SELECT record FROM sessions WHERE id = ? AND {_KEPT}", (session_id,)
            ).fetchone()
        )
        return SessionRecord.from_json(row[0]) if row else None

    async def list_sessions(self, offset: int, limit: int) -> tuple[list[SessionRecord], int]:
        def page(db: sqlite3.Connection) -> tuple[list[SessionRecord], int]:
            rows = db.execute(
                f"SELECT record FROM sessions WHERE {_KEPT} "
                "ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
            total = db.execute(f"SELECT COUNT(*) FROM sessions WHERE {_KEPT}").fetchone()[0]
            return [SessionRecord.from_json(r[0]) for r in rows], int(total)

        return await self._run(page)

    async def subject_sessions(self, subject: str) -> list[SessionRecord]:
        rows = await self._run(
            lambda db: db.execute(
                "SELECT record FROM sessions WHERE json_extract(record, '$.subject') = ? "
                f"AND {_KEPT} ORDER BY created_at, id",
                (subject,),
            ).fetchall()
        )
        return [SessionRecord.from_json(r[0]) for r in rows]

    async def forget_subject(self, subject: str) -> None:
        """The index is the sessions' own column: nothing else to drop."""

    async def tombstone(self, session_id: str) -> None:
        await self._run(
            lambda db: db.execute(
                "INSERT OR IGNORE INTO deleted VALUES (?, ?)", (session_id, time.time())
            )
        )

    async def delete_session(self, session_id: str) -> bool:
        def erase(db: sqlite3.Connection) -> bool:
            now = time.time()
            gone = db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount
            gone += db.execute("DELETE FROM reports WHERE session_id = ?", (session_id,)).rowcount
            db.execute("DELETE FROM checkpoints WHERE session_id = ?", (session_id,))
            db.execute("INSERT OR IGNORE INTO deleted VALUES (?, ?)", (session_id, now))
            db.execute(
                f"DELETE FROM deleted WHERE at < ? AND NOT ({_UNERASED})",
                (now - TOMBSTONE_SECONDS,),
            )
            return gone > 0

        erased = await self._run(erase)
        await self._forget_old_pages()
        return erased

    async def _forget_old_pages(self) -> None:
        """Copies of erased rows stay in the write-ahead log until a checkpoint writes the log
        back and empties it: one is done now. Another worker reading at this moment keeps the
        log from being emptied; the next erasure or SQLite's own checkpoint does it then."""

        def checkpoint() -> None:
            assert self._db is not None
            busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy:
                log.info("the write-ahead log is in use; erased rows leave it later")

        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, checkpoint)
        except sqlite3.Error as exc:
            log.info("could not empty the write-ahead log after an erasure: %s", exc)

    async def unerased(self) -> list[str]:
        rows = await self._run(
            lambda db: db.execute(f"SELECT id FROM deleted WHERE {_UNERASED}").fetchall()
        )
        return [row[0] for row in rows]

    async def deleted_among(self, session_ids: Collection[str]) -> set[str]:
        ids = list(session_ids)

        def find(db: sqlite3.Connection) -> set[str]:
            marks = ",".join("?" * len(ids))
            rows = db.execute(f"SELECT id FROM deleted WHERE id IN ({marks})", ids).fetchall()
            return {row[0] for row in rows}

        return await self._run(find) if ids else set()

    def append_result(self, session_id: str, message_type: str, body: str) -> None:
        """Live results are not stored in SQLite (see the module docstring)."""

    def forget_stream(self, session_id: str) -> None:
        """No result streams here."""

    def enqueue_report(self, session_id: str, report: dict[str, Any]) -> None:
        self.writer.put(("report", session_id, report))

    async def get_report(self, session_id: str) -> dict[str, Any] | None:
        row = await self._run(
            lambda db: db.execute(
                "SELECT report FROM reports WHERE session_id = ? "
                "AND session_id NOT IN (SELECT id FROM deleted)",
                (session_id,),
            ).fetchone()
        )
        return json.loads(row[0]) if row else None

    def enqueue_checkpoint(self, session_id: str, report: dict[str, Any]) -> None:
        self.writer.put(("checkpoint", session_id, report))

    async def beat(self, worker: str, until: float) -> None:
        def write(db: sqlite3.Connection) -> None:
            db.execute("INSERT OR REPLACE INTO workers VALUES (?, ?)", (worker, until))
            db.execute("DELETE FROM workers WHERE seen_until < ?", (until - WORKERS_KEPT,))

        await self._run(write)

    async def forget_worker(self, worker: str) -> None:
        await self._run(lambda db: db.execute("DELETE FROM workers WHERE id = ?", (worker,)))

    async def alive_workers(self, workers: Collection[str]) -> set[str]:
        ids = list(workers)

        def find(db: sqlite3.Connection) -> set[str]:
            marks = ",".join("?" * len(ids))
            rows = db.execute(
                f"SELECT id FROM workers WHERE seen_until > ? AND id IN ({marks})",
                [time.time(), *ids],
            ).fetchall()
            return {row[0] for row in rows}

        return await self._run(find) if ids else set()

    async def live_sessions(self) -> list[SessionRecord]:
        rows = await self._run(
            lambda db: db.execute(
                f"SELECT record FROM sessions WHERE json_extract(record, '$.state') IN ({_LIVE}) "
                f"AND {_KEPT}"
            ).fetchall()
        )
        return [SessionRecord.from_json(row[0]) for row in rows]

    async def end_lost(self, session_id: str, worker: str, now: float) -> SessionRecord | None:
        def end(db: sqlite3.Connection) -> SessionRecord | None:
            row = db.execute(
                f"SELECT record FROM sessions WHERE id = ? AND {_KEPT}", (session_id,)
            ).fetchone()
            record = SessionRecord.from_json(row[0]) if row else None
            if record is None or not record.state.live or record.worker != worker:
                return None
            saved = db.execute(
                "SELECT report FROM checkpoints WHERE session_id = ?", (session_id,)
            ).fetchone()
            checkpoint = json.loads(saved[0]) if saved else None
            ended = lost(record, checkpoint, now)
            if checkpoint is not None:
                self._write_report(db, session_id, checkpoint)
            self._write_record(db, ended)
            return ended

        return await self._run(end)

    def health(self) -> dict[str, Any]:
        return {"kind": "sqlite", "path": str(self.path), **self.writer.stats()}
