"""What the server changes in aiortc's SCTP receive path (aiortc 1.15, pinned), so that one peer's
data channel cannot take more from the server than its messages are worth:

- **A size limit before the work.** aiortc reassembles a message from all its fragments before
  anyone sees it, rescanning the fragments held at each new one: a 30 MB message cost 34 s of
  CPU. Here a message whose fragments pass :data:`MAX_INBOUND_MESSAGE_BYTES` is dropped as they
  arrive (its later fragments too, the stream's order kept) and the channel gets one
  :class:`Oversized` in its place.
- **Text that is not UTF-8** reached ``bytes.decode`` inside aiortc, whose exception closed the
  whole peer connection (the sender's own session, against the protocol's promise that errors
  never close one). Here the channel gets an :class:`InvalidText` instead.

:func:`install` replaces the two receive methods of ``RTCSctpTransport`` once per process;
everything else is aiortc's own.
"""

from __future__ import annotations

from typing import Any

from aiortc import rtcsctptransport as sctp
from aiortc.rtcsctptransport import RTCSctpTransport

MAX_INBOUND_MESSAGE_BYTES = 65_536
"""Far above the protocol's own 4096-byte client messages; a message over it is not read."""


class Oversized(bytes):
    """Stands for a message dropped unread for its size."""


class InvalidText(bytes):
    """A text message whose bytes are not UTF-8 (the first 64 of them)."""


def _message_bytes(stream: Any, chunk: Any, unordered: bool) -> int:
    """Bytes held of the message ``chunk`` belongs to."""
    return sum(
        len(held.user_data) for held in stream.reassembly if _same_message(held, chunk, unordered)
    )


async def _receive_data_chunk(self: Any, chunk: Any) -> None:
    """aiortc's ``_receive_data_chunk``, with the size limit."""
    self._sack_needed = True
    if self._mark_received(chunk.tsn):
        return
    stream = self._get_inbound_stream(chunk.stream_id)
    unordered = bool(chunk.flags & sctp.SCTP_DATA_UNORDERED)
    key = "unordered" if unordered else chunk.stream_seq
    last = bool(chunk.flags & sctp.SCTP_DATA_LAST_FRAG)
    if getattr(stream, "lens_dropping", None) == key:
        if not last:
            return  # never held, never counted against the window
        stream.lens_dropping = None
        _skip_message(stream, chunk, unordered)
    elif (
        _message_bytes(stream, chunk, unordered) + len(chunk.user_data) > MAX_INBOUND_MESSAGE_BYTES
    ):
        kept = [c for c in stream.reassembly if not _same_message(c, chunk, unordered)]
        self._advertised_rwnd += sum(len(c.user_data) for c in stream.reassembly) - sum(
            len(c.user_data) for c in kept
        )
        stream.reassembly = kept
        if last:
            _skip_message(stream, chunk, unordered)
        else:
            stream.lens_dropping = key
        channel = self._data_channels.get(chunk.stream_id)
        if channel is not None:
            channel.emit("message", Oversized())
    else:
        stream.add_chunk(chunk)
        self._advertised_rwnd -= len(chunk.user_data)
    for message in stream.pop_messages():
        self._advertised_rwnd += len(message[2])
        await self._receive(*message)


def _same_message(held: Any, chunk: Any, unordered: bool) -> bool:
    if unordered:
        return bool(held.flags & sctp.SCTP_DATA_UNORDERED)
    return bool(held.stream_seq == chunk.stream_seq)


def _skip_message(stream: Any, chunk: Any, unordered: bool) -> None:
    """The dropped message is over: an ordered stream moves on to the next sequence number."""
    if not unordered and chunk.stream_seq == stream.sequence_number:
        stream.sequence_number = sctp.uint16_add(stream.sequence_number, 1)


_original_channel_receive = RTCSctpTransport._data_channel_receive


async def _data_channel_receive(self: Any, stream_id: int, pp_id: int, data: bytes) -> None:
    """aiortc's, except that text which is not UTF-8 becomes an :class:`InvalidText`."""
    if pp_id == sctp.WEBRTC_STRING and stream_id in self._data_channels:
        try:
            data.decode("utf8")
        except UnicodeDecodeError:
            self._data_channels[stream_id].emit("message", InvalidText(data[:64]))
            return
    await _original_channel_receive(self, stream_id, pp_id, data)


def install() -> None:
    """Once per process, before the first peer connection."""
    if getattr(RTCSctpTransport, "lens_guarded", False):
        return
    RTCSctpTransport._receive_data_chunk = _receive_data_chunk  # type: ignore[method-assign]
    RTCSctpTransport._data_channel_receive = _data_channel_receive  # type: ignore[method-assign]
    RTCSctpTransport.lens_guarded = True  # type: ignore[attr-defined]
