"""Which event loop the server runs on.

uvloop (libuv) runs the same aiortc, aioice and aiohttp code with less CPU spent in the loop's own
machinery: 0.94x the server CPU of asyncio's loop at 4 peers on one core, 0.98x at 6
(docs/benchmarks.md).
``LENS_EVENT_LOOP=asyncio`` keeps the standard library's.
"""

from __future__ import annotations

import asyncio
from typing import Literal

from webrtc.udp_ports import port_range_loop

LoopKind = Literal["auto", "uvloop", "asyncio"]


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
    """A new loop of ``kind``; with ``ports``, WebRTC media binds to ports in that range."""
    base = event_loop_class(kind)
    return base() if ports is None else port_range_loop(base, ports)


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """``uvloop`` or ``asyncio``, for /health."""
    uv = any(cls.__module__.startswith("uvloop") for cls in type(loop).__mro__)
    return "uvloop" if uv else "asyncio"
