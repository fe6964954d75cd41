"""A session's peer connection: made, answered and closed, bounded.

A session may have several over its life (an interview whose page comes back gets a new one,
:meth:`~webrtc.peer.session.AnalysisSession.reconnect`); each is answered and closed the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from webrtc.peer.rtp import ask_ptime

log = logging.getLogger(__name__)

PC_CLOSE_TIMEOUT = 5.0


async def answer_offer(
    pc: RTCPeerConnection,
    offer: RTCSessionDescription,
    ptime: int,
    send: MediaStreamTrack | None = None,
) -> RTCSessionDescription:
    """Apply the client's ``offer`` to ``pc`` and return the answer with every ICE candidate
    gathered, asking for ``ptime`` ms audio packets; ``send`` (the interviewer's voice) goes
    out on the offer's audio m-section."""
    await pc.setRemoteDescription(offer)
    if send is not None:
        pc.addTrack(send)
    await pc.setLocalDescription(await pc.createAnswer())
    local = pc.localDescription
    assert local is not None
    return RTCSessionDescription(ask_ptime(local.sdp, ptime), local.type)


async def close_peer_connection(pc: RTCPeerConnection, session_id: str) -> None:
    """aiortc's close, bounded (a TURN server that went away makes aioice retry its
    deallocation). A connection whose negotiation failed half-way (a malformed offer: a
    transceiver without its transport) makes aiortc's close fail before it stops the ICE
    transports; those are then stopped here, so no socket or task outlives the session."""
    try:
        await asyncio.wait_for(pc.close(), PC_CLOSE_TIMEOUT)
        return
    except TimeoutError:
        log.warning("session %s: peer connection close timed out", session_id)
    except Exception as exc:
        log.info(
            "session %s: peer connection close failed half-way (%s: %s); stopping its transports",
            session_id,
            type(exc).__name__,
            exc,
        )
    transports: set[Any] = getattr(pc, "_RTCPeerConnection__iceTransports", set())
    for transport in list(transports):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(transport.stop(), PC_CLOSE_TIMEOUT)
