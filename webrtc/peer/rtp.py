"""What the server asks of the peer's packets, and how many came.

**Packet time.** aiortc's per-packet receive path (a UDP read, SRTP, RTP parsing, the jitter
buffer) costs about the same for a packet of 20 ms of Opus as for one of 60 ms, and Opus sends 50
packets a second at its default 20 ms. A browser's Opus encoder takes its frame size from
``a=ptime`` in the remote description (JSEP, RFC 8829 §5.9); aiortc neither writes nor reads it,
so the answer gets it here. Measured in ``docs/benchmarks.md`` ("Fewer packets").
"""

from __future__ import annotations

import logging
import re

from aiortc import RTCPeerConnection

log = logging.getLogger(__name__)

PTIMES = (0, 20, 40, 60)
"""Packet times the server may ask for, in ms (0: ask nothing, the sender's default)."""


def ask_ptime(sdp: str, ptime: int) -> str:
    """``sdp`` with ``a=ptime:<ptime>`` in every audio section that has none."""
    if ptime not in PTIMES:
        raise ValueError(f"ptime must be one of {PTIMES}, got {ptime}")
    if not ptime:
        return sdp
    newline = "\r\n" if "\r\n" in sdp else "\n"
    sections = re.split(r"(?=^m=)", sdp, flags=re.MULTILINE)
    for i, section in enumerate(sections):
        if section.startswith("m=audio ") and not re.search(r"^a=ptime:", section, re.MULTILINE):
            body = section.rstrip("\r\n")
            sections[i] = f"{body}{newline}a=ptime:{ptime}{section[len(body) :]}"
    return "".join(sections)


async def packets_received(pc: RTCPeerConnection) -> dict[str, int]:
    """RTP packets received so far, by kind (``audio``, ``video``), from aiortc's statistics."""
    counts: dict[str, int] = {}
    for receiver in pc.getReceivers():
        try:
            report = await receiver.getStats()
        except Exception:  # a transport torn down under it: statistics are not worth a failure
            log.debug("no statistics from a %s receiver", receiver.track.kind, exc_info=True)
            continue
        for stats in report.values():
            if getattr(stats, "type", None) == "inbound-rtp":
                counts[stats.kind] = counts.get(stats.kind, 0) + stats.packetsReceived
    return counts
