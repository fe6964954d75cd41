"""Reading and checking an SDP offer, free of any web framework: bytes in, :class:`Offer` out, or
an :class:`~signaling.services.errors.ApiError` saying exactly what was wrong. Answering it is
:meth:`signaling.services.sessions.SessionService.offer`."""

from __future__ import annotations

import ipaddress
import json
from collections import Counter
from dataclasses import dataclass

from aiortc import sdp as aiortc_sdp

from signaling.services.errors import (
    InvalidJson,
    InvalidOffer,
    InvalidSdp,
    MissingDataChannel,
    NoMedia,
    PayloadTooLarge,
    TooManyTracks,
)


@dataclass(frozen=True)
class Offer:
    sdp: str
    session_id: str | None = None


@dataclass(frozen=True)
class OfferMedia:
    kinds: tuple[str, ...]
    """Media kinds of the offer's m-sections, in order (``audio``, ``video``, ``application``)."""

    @property
    def tracks(self) -> int:
        return sum(kind in ("audio", "video") for kind in self.kinds)


@dataclass(frozen=True)
class Answer:
    sdp: str
    session_id: str
    type: str = "answer"

    def to_json(self) -> dict[str, str]:
        return {"sdp": self.sdp, "type": self.type, "session_id": self.session_id}


def parse_offer(body: bytes, *, max_sdp_bytes: int) -> Offer:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidJson("request body is not JSON: {exc}", exc=exc) from None
    if not isinstance(data, dict):
        raise InvalidOffer('expected a JSON object {"sdp": "...", "type": "offer"}')
    if data.get("type") != "offer":
        raise InvalidOffer(
            '"type" must be "offer", got {str}', str=repr(str(data.get("type"))[:40])
        )
    sdp = data.get("sdp")
    if not isinstance(sdp, str) or not sdp.strip():
        raise InvalidOffer('"sdp" must be a non-empty string')
    if len(sdp.encode("utf-8", "surrogatepass")) > max_sdp_bytes:
        raise PayloadTooLarge(
            "the SDP is over the {max_sdp_bytes}-byte limit", max_sdp_bytes=max_sdp_bytes
        )
    session_id = data.get("session_id")
    if session_id is not None and not isinstance(session_id, str):
        raise InvalidOffer('"session_id" must be a string')
    return Offer(sdp=sdp, session_id=session_id)


def inspect_sdp(sdp: str, max_tracks: int | None = None) -> OfferMedia:
    """Parse with aiortc's own parser and check the offer has something to analyse."""
    if not sdp.lstrip().startswith("v=0"):
        raise InvalidSdp("SDP must start with 'v=0'")
    try:
        description = aiortc_sdp.SessionDescription.parse(sdp)
    except Exception as exc:  # the parser raises ValueError, IndexError, KeyError...
        raise InvalidSdp(f"SDP could not be parsed: {type(exc).__name__}: {exc}"[:300]) from None
    media = OfferMedia(kinds=tuple(m.kind for m in description.media))
    if media.tracks == 0:
        raise NoMedia("the offer has neither audio nor video to analyse")
    if max_tracks is not None and media.tracks > max_tracks:
        raise TooManyTracks(
            "the offer has {tracks} audio and video tracks; at most {max_tracks} are taken",
            tracks=media.tracks,
            max_tracks=max_tracks,
        )
    if "application" not in media.kinds:
        raise MissingDataChannel(
            "the offer has no data channel: create one labelled 'analysis' before the offer"
        )
    return media


MAX_CANDIDATES = 20
"""Remote ICE candidates kept per media section (a browser offers a handful)."""


def candidate_refusal(line: str) -> str | None:
    """Why the server will not send connectivity checks to the address an ``a=candidate``
    line names, or ``None``. Every remote candidate gets STUN requests from the server, so an
    offer could otherwise aim them at the server's own neighbours: its cloud's metadata
    service (link-local), broadcast or multicast groups, privileged ports of any host. Private
    (LAN) addresses stay: clients on the same network as the server use them."""
    parts = line.split()
    if len(parts) < 8 or parts[2].lower() != "udp":
        return None  # not a UDP candidate: aiortc does not use it
    address, port = parts[4], parts[5]
    if not port.isdigit() or not 1024 <= int(port) <= 65535:
        return "port"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        # A name: only a browser's mDNS name (``….local``) is resolved, on the local link.
        return None if address.lower().endswith(".local") else "hostname"
    if ip.is_unspecified or ip.is_multicast or ip.is_link_local or ip.is_loopback:
        return "address"
    return "address" if ip.is_reserved else None  # 240.0.0.0/4, broadcast among them


def safe_candidates(sdp: str, limit: int = MAX_CANDIDATES) -> tuple[str, Counter[str]]:
    """The SDP without the ``a=candidate`` lines the server will not check
    (:func:`candidate_refusal`), at most ``limit`` per media section; and how many were left
    out, by reason (addresses are not logged: they are the person's)."""
    kept: list[str] = []
    dropped: Counter[str] = Counter()
    in_section = 0
    for line in sdp.split("\r\n") if "\r\n" in sdp else sdp.split("\n"):
        if line.startswith("m="):
            in_section = 0
        if line.startswith("a=candidate:"):
            reason = candidate_refusal(line[len("a=candidate:") :])
            if reason is None and in_section >= limit:
                reason = "too_many"
            if reason is not None:
                dropped[reason] += 1
                continue
            in_section += 1
        kept.append(line)
    return ("\r\n" if "\r\n" in sdp else "\n").join(kept), dropped
