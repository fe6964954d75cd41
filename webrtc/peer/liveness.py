"""Whether a session's peer is still there, and when the session ends for want of one.

A session ends when its peer does not connect within ``connect_timeout``, stops answering
heartbeats for ``heartbeat_timeout``, or when it has lasted ``max_session_seconds``. An interview
waits ``reconnect_grace`` for a peer that went away (its page reloaded, its network lost) before
it ends with the reason the peer left; any other session ends at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from webrtc.runtime.config import PipelineConfig

log = logging.getLogger(__name__)


class Heard(Protocol):
    """What liveness reads of a data channel (:class:`~webrtc.peer.channel.ResultChannel`)."""

    @property
    def is_open(self) -> bool: ...

    @property
    def last_seen(self) -> float:
        """Loop time the peer was last heard from."""
        ...


class Liveness:
    def __init__(
        self,
        session_id: str,
        config: PipelineConfig,
        *,
        waits: bool,
        started: float,
        close: Callable[[str], None],
    ) -> None:
        self.session_id = session_id
        self.config = config
        self.waits = waits
        """Whether a peer that went away is waited for (an interview)."""
        self._loop = asyncio.get_running_loop()
        self._started = started
        self._close = close
        self._connecting_since = started
        self._detached: tuple[str, float] | None = None
        """Why and when (loop time) the peer went away from a session that waits for it."""

    def lost(self, reason: str) -> bool:
        """The peer went away: the session ends with ``reason`` now (``True``), or after the
        grace."""
        grace = self.config.reconnect_grace
        if not self.waits or grace <= 0:
            self._close(reason)
            return True
        if self._detached is None:
            log.info(
                "session %s: peer gone (%s); kept %.0f s for it to come back",
                self.session_id,
                reason,
                grace,
            )
            self._detached = (reason, self._loop.time())
        return False

    def connecting(self) -> None:
        """A new peer connection takes over: it has ``connect_timeout`` to open its channel."""
        self._detached = None
        self._connecting_since = self._loop.time()

    async def watch(self, channel: Callable[[], Heard | None]) -> None:
        """Check the peer (its data channel: ``channel()``) until the session must end."""
        config = self.config
        period = min(1.0, config.heartbeat_interval / 2)
        while True:
            await asyncio.sleep(period)
            now = self._loop.time()
            current = channel()
            if self._detached is not None:
                reason, since = self._detached
                if now - since > config.reconnect_grace:
                    self._close(reason)
                    return
            elif current is None or not current.is_open:
                if now - self._connecting_since > config.connect_timeout:
                    self._close("connect_timeout")
                    return
            elif now - current.last_seen > config.heartbeat_timeout:
                if self.lost("heartbeat_timeout"):
                    return
            limit = config.max_session_seconds
            if limit and now - self._started > limit:
                self._close("max_duration")
                return
