"""Reading and checking an SDP offer, free of any web framework: bytes in, :class:`Offer` out, or
an :class:`~signaling.errors.ApiError` saying exactly what was wrong. Answering it is
:meth:`signaling.sessions.SessionService.offer`."""

from __future__ import annotations

import json
from dataclasses import dataclass

from aiortc import sdp as aiortc_sdp

from signaling.errors import (
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
            f"the offer has {media.tracks} audio and video tracks; at most {max_tracks} are taken"
        )
    if "application" not in media.kinds:
        raise MissingDataChannel(
            "the offer has no data channel: create one labelled 'analysis' before the offer"
        )
    return media
