"""Which event loop the server runs on.

uvloop (libuv) runs the same aiortc, aioice and aiohttp code with less CPU spent in the loop's own
machinery: 0.94x the server CPU of asyncio's loop at 4 peers on one core, 0.98x at 6
(docs/benchmarks.md).
``LENS_EVENT_LOOP=asyncio`` keeps the standard library's.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

from webrtc.peer.udp_ports import port_range_loop

log = logging.getLogger(__name__)

LoopKind = Literal["auto", "uvloop", "asyncio"]

PEER_TASKS = ("RTCPeerConnection.", "RTCIceTransport.", "RTCDtlsTransport.", "RTCSctpTransport.")
"""aiortc's own background tasks: a peer whose negotiation fails half-way (a malformed offer)
makes them raise where nobody awaits them."""


def event_loop_class(kind: LoopKind) -> type[asyncio.AbstractEventLoop]:
    """``uvloop.Loop`` for ``uvloop``, and for ``auto`` where uvloop is installed (it has no
    Windows build); asyncio's selector loop otherwise."""
    if kind != "asyncio":
        try:
            import uvloop
        except ImportError:
            if kind == "uvloop":
                raise RuntimeError(
                    "LENS_EVENT_LOOP=uvloop but uvloop is not installed: pip install uvloop"
                ) from None
        else:
            return uvloop.Loop
    return asyncio.SelectorEventLoop


def new_event_loop(kind: LoopKind, ports: range | None = None) -> asyncio.AbstractEventLoop:
    """A new loop of ``kind``; with ``ports``, WebRTC media binds to ports in that range. A
    failure in one of aiortc's own tasks is one log line, not a traceback (:func:`_peer_task`)."""
    base = event_loop_class(kind)
    loop = base() if ports is None else port_range_loop(base, ports)
    loop.set_exception_handler(_peer_task)
    return loop


def _peer_task(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """An exception nobody retrieved: from aiortc's tasks, the peer's own failure (its session
    answers the offer with 422, or ends): one INFO line. Anything else as asyncio logs it."""
    task, exc = context.get("future") or context.get("task"), context.get("exception")
    get_coro = getattr(task, "get_coro", None)
    name = getattr(get_coro() if get_coro else None, "__qualname__", "")
    if exc is not None and name.startswith(PEER_TASKS):
        log.info("peer task %s failed: %s: %s", name, type(exc).__name__, exc)
        return
    loop.default_exception_handler(context)


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """``uvloop`` or ``asyncio``, for /health."""
    uv = any(cls.__module__.startswith("uvloop") for cls in type(loop).__mro__)
    return "uvloop" if uv else "asyncio"
