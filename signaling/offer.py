"""Answering an SDP offer, free of any web framework: bytes in, :class:`Answer` out, or an
:class:`~signaling.errors.ApiError` saying exactly what was wrong. A failed offer never leaves a
peer connection behind."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from aiortc import RTCSessionDescription
from aiortc import sdp as aiortc_sdp

from signaling.errors import (
    InvalidJson,
    InvalidOffer,
    InvalidSdp,
    MissingDataChannel,
    NoMedia,
    OfferRejected,
    PayloadTooLarge,
)
from webrtc.registry import SessionRegistry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Offer:
    sdp: str


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
        raise InvalidJson(f"request body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidOffer('expected a JSON object {"sdp": "...", "type": "offer"}')
    if data.get("type") != "offer":
        raise InvalidOffer(f'"type" must be "offer", got {str(data.get("type"))[:40]!r}')
    sdp = data.get("sdp")
    if not isinstance(sdp, str) or not sdp.strip():
        raise InvalidOffer('"sdp" must be a non-empty string')
    if len(sdp.encode("utf-8", "surrogatepass")) > max_sdp_bytes:
        raise PayloadTooLarge(f"the SDP is over the {max_sdp_bytes}-byte limit")
    return Offer(sdp=sdp)


def inspect_sdp(sdp: str) -> OfferMedia:
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
    if "application" not in media.kinds:
        raise MissingDataChannel(
            "the offer has no data channel: create one labelled 'analysis' before the offer"
        )
    return media


async def answer_offer(offer: Offer, registry: SessionRegistry) -> Answer:
    inspect_sdp(offer.sdp)
    session = registry.create()
    try:
        local = await session.answer(RTCSessionDescription(sdp=offer.sdp, type="offer"))
    except Exception as exc:
        await session.close("offer_rejected")
        log.info("offer rejected: %s: %s", type(exc).__name__, exc)
        raise OfferRejected(f"the offer could not be negotiated: {exc}"[:300]) from None
    except BaseException:
        await session.close("cancelled")
        raise
    return Answer(sdp=local.sdp, session_id=session.id)
