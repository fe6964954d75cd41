"""The ``analysis`` data channel: sends results, answers pings, rejects garbage, and knows
when the client was last heard from (the application heartbeat)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiortc import RTCDataChannel

from webrtc.protocol import (
    Error,
    Ping,
    Pong,
    ProtocolError,
    ServerMessage,
    encode,
    parse_client_message,
)

log = logging.getLogger(__name__)

CHANNEL_LABEL = "analysis"


class ResultChannel:
    """Wraps the client's ``analysis`` channel.

    Outbound messages are dropped (and counted) rather than queued without bound when the
    channel's ``bufferedAmount`` passes ``max_buffered_bytes``: a slow or stalled client must
    not grow the server's memory.
    """

    def __init__(
        self,
        channel: RTCDataChannel,
        session_id: str,
        *,
        max_buffered_bytes: int,
        clock: Callable[[], float],
    ) -> None:
        self._channel = channel
        self._session_id = session_id
        self._max_buffered_bytes = max_buffered_bytes
        self._clock = clock
        self.last_seen = asyncio.get_running_loop().time()
        self.sent = 0
        self.dropped = 0
        self.protocol_errors = 0
        channel.on("message", self._on_message)

    @property
    def is_open(self) -> bool:
        return self._channel.readyState == "open"

    def send(self, message: ServerMessage) -> bool:
        if not self.is_open:
            self.dropped += 1
            return False
        if self._channel.bufferedAmount > self._max_buffered_bytes:
            self.dropped += 1
            return False
        try:
            self._channel.send(encode(message))
        except Exception as exc:  # the transport went away between the check and the send
            self.dropped += 1
            log.debug("session %s: send failed: %s", self._session_id, exc)
            return False
        self.sent += 1
        return True

    def _on_message(self, raw: str | bytes) -> None:
        self.last_seen = asyncio.get_running_loop().time()
        try:
            message = parse_client_message(raw)
        except ProtocolError as exc:
            self.protocol_errors += 1
            log.info("session %s: bad client message: %s", self._session_id, exc.message)
            self.send(Error(self._session_id, self._clock(), exc.code, exc.message))
            return
        if isinstance(message, Ping):
            self.send(Pong(self._session_id, self._clock(), message.id))

    def close(self) -> None:
        self._channel.remove_all_listeners()
        if self._channel.readyState != "closed":
            self._channel.close()
