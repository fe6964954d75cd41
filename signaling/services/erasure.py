"""Erasure that sticks: a durable tombstone first (:meth:`Erasures.mark`), then the data erased
(:meth:`Erasures.erase`); an erasure the store could not take yet is kept and finished later,
by this worker or any other (:meth:`Erasures.finish`). Readers honour the tombstone from the
moment it lands (``docs/storage.md``, "Erasure that sticks")."""

from __future__ import annotations

import asyncio
import logging
import time

from signaling.services.errors import ServiceUnavailable
from signaling.services.recordings import Recordings
from signaling.storage import Store, StoreUnavailable

log = logging.getLogger(__name__)

TOMBSTONE_PATIENCE = 5.0
"""Seconds a DELETE retries marking the session deleted before it answers 503."""


class Erasures:
    def __init__(self, store: Store, recordings: Recordings) -> None:
        self.store = store
        self.recordings = recordings
        self.pending: set[str] = set()
        """Tombstoned sessions whose erasure is not finished (the store was away)."""

    async def mark(self, session_id: str) -> None:
        """The tombstone, retried for up to :data:`TOMBSTONE_PATIENCE` seconds; failing that,
        :class:`ServiceUnavailable` and nothing changed."""
        deadline = time.monotonic() + TOMBSTONE_PATIENCE
        backoff = 0.1
        while True:
            try:
                await self.store.tombstone(session_id)
                self.pending.add(session_id)
                return
            except StoreUnavailable as exc:
                if time.monotonic() + backoff > deadline:
                    log.warning("session %s: could not mark it deleted: %s", session_id, exc)
                    raise ServiceUnavailable(
                        "the store cannot take the deletion now; nothing was changed and the "
                        "session goes on. Retry the DELETE",
                        headers={"Retry-After": "5"},
                    ) from None
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)

    async def erase(self, session_id: str) -> bool:
        """Erase a tombstoned session's data: writes still buffered for it are let through
        first (the store drops them: tombstoned), then the store, then the recording. ``False``
        (left for :meth:`finish`) when the store cannot take it now."""
        try:
            if not await self.store.writer.drain():
                raise StoreUnavailable("the store has writes it cannot take yet")
            await self.store.delete_session(session_id)
        except StoreUnavailable as exc:
            log.warning("session %s: erasure waits for the store: %s", session_id, exc)
            return False
        await asyncio.to_thread(self.recordings.delete, session_id)
        self.pending.discard(session_id)
        return True

    async def finish(self) -> None:
        """Erasures cut short, here or by a worker that died mid-DELETE (the store's
        :meth:`~signaling.storage.base.Store.unerased`); stops at the first the store cannot
        take. Raises :class:`StoreUnavailable` when the store cannot even say which."""
        self.pending.update(await self.store.unerased())
        for session_id in list(self.pending):
            if not await self.erase(session_id):
                return
