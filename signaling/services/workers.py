"""Workers that are gone: each worker keeps a heartbeat in the store, and ends the sessions of
any worker whose heartbeat ran out (or, on its own machine, whose process is no longer there),
with reason ``worker_lost`` and the report of their last checkpoint.

A worker's name is ``host:pid:nonce``: the nonce tells a restarted server apart from the one
that crashed, even with the same pid (a container's server is often pid 1 every time).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time

from signaling.storage import SessionRecord, Store, StoreUnavailable

log = logging.getLogger(__name__)


_HERE: set[str] = set()
"""Workers of this process still running (one in a server; tests run several in one)."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # there, but another user's
        return False
    return False


class WorkerWatch:
    def __init__(self, store: Store, name: str, timeout: float) -> None:
        self.store = store
        self.name = name
        self.timeout = timeout
        self.host, pid, _ = name.rsplit(":", 2)
        self.pid = int(pid)
        self.sessions_ended = 0
        """Sessions of lost workers this worker has ended."""
        _HERE.add(name)

    def close(self) -> None:
        _HERE.discard(self.name)

    def gone_here(self, worker: str) -> bool:
        """Whether ``worker`` ran on this machine and is certainly gone: its process is not
        there, or it had this process's pid and is not one of its running workers (this
        worker has replaced it)."""
        try:
            host, pid, _ = worker.rsplit(":", 2)
            number = int(pid)
        except ValueError:
            return False
        if host != self.host or worker in _HERE:
            return False
        return number == self.pid or _process_gone(number)

    async def beat(self) -> None:
        await self.store.beat(self.name, time.time() + self.timeout)

    async def lost_sessions(self) -> list[SessionRecord]:
        """Live records whose worker is gone (never this worker's own)."""
        records = [
            r for r in await self.store.live_sessions() if r.worker and r.worker != self.name
        ]
        if not records:
            return []
        alive = await self.store.alive_workers({r.worker for r in records if r.worker})
        return [
            r
            for r in records
            if r.worker is not None and (r.worker not in alive or self.gone_here(r.worker))
        ]

    async def end_lost(self) -> None:
        """End every session of a worker that is gone (another worker may get there first)."""
        for record in await self.lost_sessions():
            assert record.worker is not None
            done = await self.store.end_lost(record.id, record.worker, time.time())
            if done is not None:
                log.warning(
                    "session %s: its worker %s is gone; ended (worker_lost)",
                    record.id,
                    record.worker,
                )
                self.sessions_ended += 1

    async def tick(self) -> None:
        """A heartbeat, then the sessions of lost workers ended. A store outage only delays
        both (this worker's heartbeat may then run out: see ``docs/deploy.md``)."""
        try:
            await self.beat()
            await self.end_lost()
        except StoreUnavailable as exc:
            log.warning("worker heartbeat: %s", exc)
        except Exception:
            log.exception("worker heartbeat failed")
