"""The storage interface and the session record it keeps."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from webrtc.lifecycle import SessionCounters, SessionState

TOMBSTONE_SECONDS = 86_400.0
"""How long a deleted session's id is remembered once its data is erased: far longer than a
worker takes to notice. A tombstone whose session is not yet erased stays until it is."""


LIVE_STATES = (SessionState.CONNECTING, SessionState.ACTIVE, SessionState.ENDING)
"""States of a record whose session has (or is getting) a peer connection on some worker."""


class StoreUnavailable(RuntimeError):
    """The store cannot answer now (Redis is down); the API answers 503."""


class ReadOnlyDataDir(RuntimeError):
    """The data directory or the database in it cannot be written: the server does not start
    (it would answer every request and keep nothing)."""


@dataclass
class SessionRecord:
    id: str
    state: SessionState
    created_at: float
    expires_at: float
    """Unix time after which a session that never connected can no longer be used."""
    source: str = "live"
    """``live`` (WebRTC) or ``upload`` (a recorded file)."""
    started_at: float | None = None
    ended_at: float | None = None
    end_reason: str | None = None
    counters: SessionCounters = field(default_factory=SessionCounters)
    worker: str | None = None
    """The server process holding the peer connection, while there is one."""
    transcript: bool = True
    """Whether the session is transcribed (when the server has speech recognition)."""
    language: str | None = None
    """``en``, ``cmn`` or ``auto``; ``None``: the server's ``LENS_LANGUAGE``."""
    subject: str | None = None
    """The platform's opaque id for the person, when it gave one."""
    record: bool = False
    """The platform asked for the session to be recorded (and the server allows it)."""
    interview: dict[str, Any] | None = None
    """The interview it runs, questions chosen (``signaling/services/interviews.py``)."""
    locale: str | None = None
    """The language of the words the person reads (``en``, ``zh``); ``None``: the interview's,
    else the spoken language's."""

    def __post_init__(self) -> None:
        self.state = SessionState(self.state)

    def to_dict(self) -> dict[str, Any]:
        """The record as the API shows it (and the store keeps it)."""
        return {**asdict(self), "state": self.state.value}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> SessionRecord:
        data = json.loads(text)
        data["state"] = SessionState(data["state"])
        data["counters"] = SessionCounters.from_dict(data.get("counters") or {})
        return cls(**data)


def lost(record: SessionRecord, checkpoint: dict[str, Any] | None, now: float) -> SessionRecord:
    """``record`` ended because its worker is gone: ``worker_lost``, at the time of its last
    checkpoint (the last that is known of it), or now if it never had one."""
    ended_at = float(checkpoint["ended_at"]) if checkpoint else now
    return replace(
        record,
        state=SessionState.ENDED,
        ended_at=ended_at,
        end_reason="worker_lost",
        worker=None,
    )


class Store(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def put_session(self, record: SessionRecord) -> None:
        """Write now (API calls); raises :class:`StoreUnavailable`."""
        ...

    def enqueue_session(self, record: SessionRecord) -> None:
        """Write behind (live sessions): never blocks, never raises."""
        ...

    def enqueue_event(self, name: str, session_id: str) -> None: ...

    async def get_session(self, session_id: str) -> SessionRecord | None: ...

    async def list_sessions(self, offset: int, limit: int) -> tuple[list[SessionRecord], int]:
        """A page of sessions, newest first, and how many there are in all."""
        ...

    async def subject_sessions(self, subject: str) -> list[SessionRecord]:
        """Every stored session of ``subject``, oldest first."""
        ...

    async def forget_subject(self, subject: str) -> None:
        """Drop the subject's index (after its sessions were deleted)."""
        ...

    async def tombstone(self, session_id: str) -> None:
        """Mark the session deleted, durably, before anything is erased: from then on no
        reader returns it, no buffered write stores it again, and no worker recovers it; a
        worker running it learns to stop it (:meth:`deleted_among`). Raises
        :class:`StoreUnavailable` when the mark could not be written."""
        ...

    async def delete_session(self, session_id: str) -> bool:
        """Erase the tombstoned session's record, results, checkpoint and report; whether there
        was anything. The tombstone stays (the id alone, for :data:`TOMBSTONE_SECONDS`)."""
        ...

    async def unerased(self) -> list[str]:
        """Tombstoned sessions whose data may still be stored (an erasure cut short by an
        outage or a crash): any worker finishes them."""
        ...

    async def deleted_among(self, session_ids: Collection[str]) -> set[str]:
        """Which of ``session_ids`` have been deleted (have a tombstone)."""
        ...

    def append_result(self, session_id: str, message_type: str, body: str) -> None:
        """Queue one live result for the session's result stream; never blocks, never raises."""
        ...

    def enqueue_report(self, session_id: str, report: dict[str, Any]) -> None: ...

    def enqueue_checkpoint(self, session_id: str, report: dict[str, Any]) -> None:
        """Write behind: the live session's report so far, replacing the last. Dropped once
        the session's record is written ended."""
        ...

    async def beat(self, worker: str, until: float) -> None:
        """``worker`` is alive until Unix time ``until`` (its heartbeat)."""
        ...

    async def forget_worker(self, worker: str) -> None:
        """``worker`` stopped cleanly: its heartbeat goes."""
        ...

    async def alive_workers(self, workers: Collection[str]) -> set[str]:
        """Which of ``workers`` have a heartbeat that has not run out."""
        ...

    async def live_sessions(self) -> list[SessionRecord]:
        """Every record in a live state (:data:`LIVE_STATES`), on whichever worker."""
        ...

    async def end_lost(self, session_id: str, worker: str, now: float) -> SessionRecord | None:
        """End the session if its record is still live on ``worker``: the record (:func:`lost`)
        and, from its last checkpoint, its report. Returns the ended record, or ``None`` if
        another worker got there first or the session had moved on."""
        ...

    def forget_stream(self, session_id: str) -> None:
        """The session ended: release what was kept to number its results."""
        ...

    async def get_report(self, session_id: str) -> dict[str, Any] | None: ...

    def health(self) -> dict[str, Any]: ...

    @property
    def writer(self) -> Any:
        """The write-behind buffer (its ``drain()`` waits until writes are stored)."""
        ...
