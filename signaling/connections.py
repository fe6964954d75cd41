"""HTTP connections as the server accepts them: a cap per client address and in all, so slow or
idle clients cannot hold every socket (and file descriptor) the server has.

Time limits live elsewhere: aiohttp closes a connection that has not sent a whole request's
headers within ``LENS_HTTP_IDLE_TIMEOUT`` (its keep-alive timer, which runs from the moment a
connection opens), and :func:`signaling.bodies.read_body` bounds the time a body may take.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
from collections import Counter
from collections.abc import Callable
from typing import cast

from aiohttp import web

log = logging.getLogger(__name__)


REFUSAL_LINGER = 0.5
MAX_REFUSING = 64


def _refusal(message: str) -> bytes:
    body = json.dumps({"error": {"code": "too_many_connections", "message": message}}).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Content-Type: application/json\r\n"
        "Retry-After: 5\r\n"
        "Connection: close\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class ConnectionGuard:
    """Counts open connections by client address. ``per_address=None``: no cap per address
    (behind a proxy every connection comes from the proxy, which does its own limiting)."""

    def __init__(self, total: int, per_address: int | None) -> None:
        self.total = total
        self.per_address = per_address
        self.open: Counter[str] = Counter()
        self.open_total = 0
        self.refused = 0
        self.refusing = 0
        """Refused connections still closing (see :meth:`GuardedProtocol._refuse`)."""

    def admit(self, address: str) -> str | None:
        """Count the connection in and return ``None``, or say why it is refused."""
        if self.open_total >= self.total:
            reason = f"the server holds its maximum of {self.total} connections"
        elif self.per_address is not None and self.open[address] >= self.per_address:
            reason = f"at most {self.per_address} connections from one address"
        else:
            self.open[address] += 1
            self.open_total += 1
            return None
        self.refused += 1
        return reason

    def release(self, address: str) -> None:
        self.open_total -= 1
        self.open[address] -= 1
        if self.open[address] <= 0:
            del self.open[address]


class GuardedProtocol(asyncio.Protocol):
    """Stands in front of aiohttp's request handler: a connection over the caps is answered
    ``503 too_many_connections`` and closed before aiohttp sees it."""

    def __init__(self, make: Callable[[], asyncio.Protocol], guard: ConnectionGuard) -> None:
        self._make = make
        self._guard = guard
        self._inner: asyncio.Protocol | None = None
        self._address = ""
        self._refusing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        self._address = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        refused = self._guard.admit(self._address)
        if refused is not None:
            self._refuse(cast(asyncio.Transport, transport), refused)
            return
        self._inner = self._make()
        self._inner.connection_made(transport)

    def _refuse(self, transport: asyncio.Transport, reason: str) -> None:
        """Answer 503 and close. Closing a socket with unread request bytes resets it, and the
        reset can overtake the answer; so the answer is followed by a FIN and the socket held
        (reading nothing into the app) for :data:`REFUSAL_LINGER` seconds, unless too many are
        being refused at once."""
        transport.write(_refusal(reason))
        if self._guard.refusing >= MAX_REFUSING or not transport.can_write_eof():
            transport.close()
            return
        self._guard.refusing += 1
        self._refusing = True
        transport.write_eof()
        asyncio.get_running_loop().call_later(REFUSAL_LINGER, transport.close)

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refusing:
            self._guard.refusing -= 1
            self._refusing = False
        if self._inner is not None:
            self._guard.release(self._address)
            self._inner.connection_lost(exc)
            self._inner = None


class GuardedSite(web.TCPSite):
    """A TCP site whose connections pass through :class:`GuardedProtocol`."""

    def __init__(self, runner: web.BaseRunner, guard: ConnectionGuard, **kwargs: object) -> None:
        super().__init__(runner, **kwargs)  # type: ignore[arg-type]
        self.guard = guard

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            lambda: GuardedProtocol(server, self.guard),
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )
        sockets = self._server.sockets
        self._bound_port = sockets[0].getsockname()[1] if sockets else self._port


def raise_open_file_limit() -> int:
    """Raise this process's soft open-file limit to its hard limit (every connection and
    every peer's UDP socket is a file descriptor; the usual soft limit is 1024). Returns the
    limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit from %d: %s", soft, exc)
    return soft


def connection_cap(configured: int, open_files: int) -> int:
    """Connections to accept at most: as configured, but never more than half the open-file
    limit, so peers' sockets, the store and the model files always find a descriptor."""
    return max(1, min(configured, open_files // 2))
