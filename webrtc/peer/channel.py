"""The ``analysis`` data channel: sends results, answers pings, rejects garbage, and knows
when the client was last heard from (the application heartbeat)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiortc import RTCDataChannel

from webrtc.peer.sctp import MAX_INBOUND_MESSAGE_BYTES, InvalidText, Oversized
from webrtc.peer.tokenbucket import TokenBucket
from webrtc.protocol import (
    MAX_CLIENT_MESSAGE_BYTES,
    CalibrateRequest,
    End,
    Error,
    InterviewControl,
    Ping,
    Pong,
    ProtocolError,
    ServerMessage,
    SetupRequest,
    VideoRequest,
    chunked,
    encode,
    parse_client_message,
)

log = logging.getLogger(__name__)

CHANNEL_LABEL = "analysis"
FLOOD_FACTOR = 10.0
"""A client sending over this many times its allowed message rate, sustained, is flooding."""


ACK_POLL_SECONDS = 0.02


def unacknowledged(channel: RTCDataChannel) -> int:
    """Chunks the SCTP association has yet to send or to see acknowledged (aiortc keeps them
    in two private queues; 0 when those are not there)."""
    transport = channel.transport
    waiting = getattr(transport, "_outbound_queue", ())
    in_flight = getattr(transport, "_sent_queue", ())
    return len(waiting) + len(in_flight)


class ResultChannel:
    """Wraps the client's ``analysis`` channel.

    Outbound messages are dropped (and counted) rather than queued without bound when the
    channel's ``bufferedAmount`` passes ``max_buffered_bytes``: a slow or stalled client must
    not grow the server's memory. The few *essential* messages (why a session ends, its report,
    its end) are queued whatever the buffer holds: each is sent once, so they cannot grow it.
    """

    def __init__(
        self,
        channel: RTCDataChannel,
        session_id: str,
        *,
        max_buffered_bytes: int,
        clock: Callable[[], float],
        on_end: Callable[[], None],
        on_video: Callable[[VideoRequest], bool] | None = None,
        on_interview: Callable[[InterviewControl], bool] | None = None,
        on_sent: Callable[[ServerMessage, str], None] | None = None,
        on_flood: Callable[[], None] = lambda: None,
        max_message_bytes: int = 1100,
        messages_per_second: float = 20.0,
    ) -> None:
        self._channel = channel
        self._session_id = session_id
        self._max_buffered_bytes = max_buffered_bytes
        self._clock = clock
        self._on_end = on_end
        self._on_video = on_video
        self._on_interview = on_interview
        self._on_sent = on_sent
        self._max_message_bytes = max_message_bytes
        self._on_flood = on_flood
        self._inbound = TokenBucket(messages_per_second, 2 * messages_per_second)
        # Dropped messages, at most FLOOD_FACTOR x the allowed rate (a burst of 2 s of them):
        # a peer that goes on past that is flooding, not over-eager.
        self._flood = TokenBucket(
            FLOOD_FACTOR * messages_per_second, 2 * FLOOD_FACTOR * messages_per_second
        )
        self.flooded = False
        self._rate_warned_at = -1.0
        self._chunk_ids = 0
        self.rate_limited = 0
        self.last_seen = asyncio.get_running_loop().time()
        self.sent = 0
        self.dropped = 0
        self.protocol_errors = 0
        channel.on("message", self._on_message)

    @property
    def buffered_amount(self) -> int:
        return int(self._channel.bufferedAmount)

    @property
    def is_open(self) -> bool:
        return self._channel.readyState == "open"

    def send(self, message: ServerMessage, *, essential: bool = False) -> bool:
        if not self.is_open:
            self.dropped += 1
            return False
        if not essential and self._channel.bufferedAmount > self._max_buffered_bytes:
            self.dropped += 1
            return False
        wire = encode(message)
        pieces = chunked(message, wire, self._max_message_bytes, self._chunk_ids)
        if len(pieces) > 1:
            self._chunk_ids += 1
        try:
            for piece in pieces:
                self._channel.send(piece)
        except Exception as exc:  # the transport went away between the check and the send
            self.dropped += 1
            log.debug("session %s: send failed: %s", self._session_id, exc)
            return False
        self.sent += 1
        if self._on_sent is not None:
            self._on_sent(message, wire)
        return True

    async def drain(self, timeout: float = 2.0) -> None:
        """Wait (at most ``timeout`` seconds) until what was sent has reached the client: the
        channel's buffer is empty and the association has no chunk left unacknowledged. Closing
        the peer connection sooner would abort the association and lose the last messages."""
        if not self.is_open:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._delivered(), timeout)

    async def _delivered(self) -> None:
        if self._channel.bufferedAmount > 0:
            emptied = asyncio.Event()
            self._channel.bufferedAmountLowThreshold = 0
            self._channel.once("bufferedamountlow", emptied.set)
            await emptied.wait()
        # aiortc has no event for "all acknowledged": poll its queues.
        while unacknowledged(self._channel) and self.is_open:  # noqa: ASYNC110
            await asyncio.sleep(ACK_POLL_SECONDS)

    def _on_message(self, raw: str | bytes) -> None:
        now = asyncio.get_running_loop().time()
        self.last_seen = now
        if self.flooded:
            return
        if self._inbound.take():
            # Over the budget: drop, and say so at most once a second.
            self.rate_limited += 1
            if self._flood.take():
                self._flooding()
                return
            if now - self._rate_warned_at >= 1.0:
                self._rate_warned_at = now
                self.send(
                    Error(
                        self._session_id,
                        self._clock(),
                        "rate_limited",
                        "too many messages; some were dropped",
                    )
                )
            return
        try:
            if isinstance(raw, Oversized):
                raise ProtocolError(
                    "message_too_large",
                    f"messages are at most {MAX_CLIENT_MESSAGE_BYTES} bytes; one of over "
                    f"{MAX_INBOUND_MESSAGE_BYTES} was dropped unread",
                )
            if isinstance(raw, InvalidText):
                raise ProtocolError("invalid_utf8", "a text message must be UTF-8")
            message = parse_client_message(raw)
        except ProtocolError as exc:
            self.protocol_errors += 1
            log.info("session %s: bad client message: %s", self._session_id, exc.message)
            self.send(Error(self._session_id, self._clock(), exc.code, exc.message))
            return
        if isinstance(message, Ping):
            self.send(Pong(self._session_id, self._clock(), message.id))
        elif isinstance(message, End):
            self._on_end()
        elif isinstance(message, SetupRequest | CalibrateRequest):
            if self._on_video is None or not self._on_video(message):
                self.send(Error(self._session_id, self._clock(), "no_video", "no video to check"))
        elif isinstance(message, InterviewControl):
            if self._on_interview is None or not self._on_interview(message):
                refused = f"{message.action} does not apply now (no interview, or not here)"
                self.send(Error(self._session_id, self._clock(), "not_now", refused))

    def _flooding(self) -> None:
        """Past the flood limit: say why, stop reading, and end the session."""
        self.flooded = True
        log.warning("session %s: the client floods its data channel; ending it", self._session_id)
        limit = self._inbound.rate
        why = (
            f"over {FLOOD_FACTOR:g}x the allowed {limit:g} messages a second: the session is ended"
        )
        self.send(Error(self._session_id, self._clock(), "flooding", why), essential=True)
        self._on_flood()

    def close(self) -> None:
        self._channel.remove_all_listeners()
        if self._channel.readyState != "closed":
            self._channel.close()
