"""WebRTC media on a fixed range of UDP ports, so a container can publish just that range.

aiortc has no port-range option: aioice binds each host candidate with
``loop.create_datagram_endpoint(local_addr=(address, 0))`` and the kernel picks any ephemeral
port. :class:`PortRange` makes an event loop serve exactly those requests (a local address with
port 0) from the configured range instead, round robin, skipping ports in use. Everything else
is left to the kernel. It works on asyncio's loop and on uvloop's (:func:`port_range_loop`).
"""

from __future__ import annotations

import asyncio
import errno
import random
from typing import Any

BUSY = (errno.EADDRINUSE, errno.EACCES)


def parse_port_range(text: str) -> range:
    """``"50000-50199"`` -> ``range(50000, 50200)``."""
    low, sep, high = text.partition("-")
    try:
        start, stop = int(low), int(high if sep else low)
    except ValueError:
        raise ValueError(f"a UDP port range is LOW-HIGH, got {text!r}") from None
    if not 1024 <= start <= stop <= 65535:
        raise ValueError(f"UDP ports must be within 1024-65535, low <= high; got {text!r}")
    return range(start, stop + 1)


class PortRange:
    """Mixin for an event loop class: port-0 UDP binds come from :attr:`ports`."""

    ports: range
    _next: int

    def serve_ports(self, ports: range) -> None:
        self.ports = ports
        self._next = random.randrange(len(ports))

    async def create_datagram_endpoint(
        self, protocol_factory: Any, local_addr: tuple[str, int] | None = None, **kwargs: Any
    ) -> tuple[asyncio.DatagramTransport, asyncio.DatagramProtocol]:
        parent: Any = super()
        if local_addr is None or local_addr[1] != 0:
            return await parent.create_datagram_endpoint(
                protocol_factory, local_addr=local_addr, **kwargs
            )
        host = local_addr[0]
        for _ in range(len(self.ports)):
            port = self.ports[self._next]
            self._next = (self._next + 1) % len(self.ports)
            try:
                return await parent.create_datagram_endpoint(
                    protocol_factory, local_addr=(host, port), **kwargs
                )
            except OSError as exc:
                if exc.errno not in BUSY:
                    raise
        raise OSError(
            errno.EADDRINUSE,
            f"no free UDP port for {host} in {self.ports.start}-{self.ports.stop - 1}",
        )


def port_range_loop(
    base: type[asyncio.AbstractEventLoop], ports: range
) -> asyncio.AbstractEventLoop:
    """A new loop of class ``base`` (asyncio's or ``uvloop.Loop``) with media on ``ports``."""
    cls = type(f"PortRange{base.__name__}", (PortRange, base), {})
    loop = cls()
    loop.serve_ports(ports)
    return loop
