"""HTTP connections as the server accepts them: a cap per client address (an IPv6 client
counts by its /64, which one machine usually holds whole) and in all, so slow or idle clients
cannot hold every socket (and file descriptor) the server has. When every connection is taken,
a newcomer is let in by closing the connection idle the longest (as nginx reuses keep-alive
connections when it runs out): clients that keep sockets open with a small request now and
then cannot lock everyone else out.

Time limits live elsewhere: aiohttp closes a connection that has not sent a whole request's
headers within ``LENS_HTTP_IDLE_TIMEOUT`` (its keep-alive timer, which runs from the moment a
connection opens), and :func:`signaling.http.request_bodies.read_body` bounds the time a body may
take.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import resource
import socket
from collections import Counter
from collections.abc import Callable, Collection
from typing import Any, cast

from aiohttp import web

log = logging.getLogger(__name__)


REFUSAL_LINGER = 0.5
HEAD_WAIT = 0.1
"""Seconds a refused connection waits for its request's head (for its Origin)."""
MAX_REFUSING = 64
MAX_OVERFLOW = 64
"""Connections let in over the total cap while the idle ones making room for them close."""
IDLE_ENOUGH = 1.0
"""Seconds without a byte from the client after which a connection may be closed for room."""
MAX_HEAD_BYTES = 8192


def client_key(address: str) -> str:
    """What the cap per address counts by: the address, or an IPv6 address's /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def origin_of(head: bytes) -> str | None:
    """The ``Origin`` header of a request head, if it has one."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"origin":
            return value.strip().decode("latin-1")
    return None


def _refusal(message: str, origin: str | None, origins: Collection[str]) -> bytes:
    body = json.dumps({"error": {"code": "too_many_connections", "message": message}}).encode()
    cors = (
        f"Access-Control-Allow-Origin: {origin}\r\n"
        "Access-Control-Expose-Headers: Retry-After\r\nVary: Origin\r\n"
        if origin is not None and ("*" in origins or origin in origins)
        else ""
    )
    head = (
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Content-Type: application/json\r\n"
        "Retry-After: 5\r\n"
        f"{cors}"
        "Connection: close\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class ConnectionGuard:
    """Counts open connections by client address. ``per_address=None``: no cap per address
    (behind a proxy every connection comes from the proxy, which does its own limiting)."""

    def __init__(self, total: int, per_address: int | None, origins: Collection[str] = ()) -> None:
        self.total = total
        self.per_address = per_address
        self.origins = origins
        """Origins whose browsers may read a refusal (``LENS_CORS_ORIGINS``)."""
        self.open: Counter[str] = Counter()
        self.open_total = 0
        self.refused = 0
        self.evicted = 0
        """Idle connections closed to let a newcomer in."""
        self.refusing = 0
        """Refused connections still closing (see :meth:`GuardedProtocol._refuse`)."""
        self.admitted: set[GuardedProtocol] = set()

    def admit(self, address: str) -> str | None:
        """Count the connection in and return ``None``, or say why it is refused."""
        if self.per_address is not None and self.open[address] >= self.per_address:
            reason = f"at most {self.per_address} connections from one address"
        elif self.open_total >= self.total and not self._make_room():
            reason = f"the server holds its maximum of {self.total} connections"
        else:
            self.open[address] += 1
            self.open_total += 1
            return None
        self.refused += 1
        return reason

    def _make_room(self) -> bool:
        """Close the connection idle the longest (once its request, if any, is answered) and
        let the newcomer in meanwhile, up to :data:`MAX_OVERFLOW` over the cap."""
        if self.open_total >= self.total + MAX_OVERFLOW:
            return False
        idle = [p for p in self.admitted if not p.closing and p.idle_for >= IDLE_ENOUGH]
        if not idle:
            return False
        max(idle, key=lambda p: p.idle_for).close_when_idle()
        self.evicted += 1
        return True

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
        self._refusal: str | None = None
        self._head = b""
        self._transport: asyncio.Transport | None = None
        self._last_active = 0.0
        self.closing = False

    @property
    def idle_for(self) -> float:
        """Seconds since the client last sent a byte."""
        return asyncio.get_running_loop().time() - self._last_active

    def close_when_idle(self) -> None:
        """Close once the request in hand, if any, is answered (at once when idle)."""
        self.closing = True
        close: Any = getattr(self._inner, "close", None)
        if close is not None:
            close()
        elif self._transport is not None:
            self._transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._last_active = asyncio.get_running_loop().time()
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        self._address = client_key(address)
        refused = self._guard.admit(self._address)
        if refused is not None:
            self._refusal = refused
            if self._guard.refusing >= MAX_REFUSING:
                self._refuse()  # too many at once: no waiting, no lingering
                return
            self._guard.refusing += 1
            self._refusing = True
            # The answer waits a moment for the request's head: its Origin decides whether a
            # browser may read the refusal (CORS), as for every other error.
            asyncio.get_running_loop().call_later(HEAD_WAIT, self._refuse)
            return
        self._inner = self._make()
        self._guard.admitted.add(self)
        self._inner.connection_made(transport)

    def _refuse(self) -> None:
        """Answer 503 and close. Closing a socket with unread request bytes resets it, and the
        reset can overtake the answer; so the answer is followed by a FIN and the socket held
        (reading nothing into the app) for :data:`REFUSAL_LINGER` seconds, unless too many are
        being refused at once (:data:`MAX_REFUSING`)."""
        transport, reason = self._transport, self._refusal
        if transport is None or reason is None or transport.is_closing():
            return
        self._refusal = None
        transport.write(_refusal(reason, origin_of(self._head), self._guard.origins))
        if not self._refusing or not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()
        asyncio.get_running_loop().call_later(REFUSAL_LINGER, transport.close)

    def data_received(self, data: bytes) -> None:
        self._last_active = asyncio.get_running_loop().time()
        if self._inner is not None:
            self._inner.data_received(data)
        elif self._refusal is not None:
            self._head = (self._head + data)[:MAX_HEAD_BYTES]
            if b"\r\n\r\n" in self._head or len(self._head) >= MAX_HEAD_BYTES:
                self._refuse()

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
        self._refusal = None
        self._transport = None
        if self._inner is not None:
            self._guard.admitted.discard(self)
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


def free_loopback_port() -> int:
    """A TCP port free on 127.0.0.1 now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
