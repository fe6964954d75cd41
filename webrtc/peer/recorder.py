"""Session recording: what the browser sent (VP8 video, Opus audio) written into WebM as it
arrives, without decoding or encoding anything.

aiortc reassembles each encoded frame in the receiver's jitter buffer and hands it to its
decoder thread through a queue; :func:`tap_encoded` wraps that queue's ``put`` so that the
encoded frame (payload and RTP timestamp, already mapped to start at 0) also reaches the
:class:`Recorder`. The tap runs on the event loop and only enqueues; the muxing runs on the
recorder's own thread. The timestamps are the ones the analysis's media times come from, so the
recording and the report's timelines share one clock.

A recording that cannot be written (the disk is full or gone) stops — the session goes on —
and says so (``on_failure``); what was written stays playable: clusters are closed every
second, so a worker that dies mid-session leaves a file that decodes up to its last second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av

log = logging.getLogger(__name__)

VIDEO_CLOCK = Fraction(1, 90_000)
AUDIO_CLOCK = Fraction(1, 48_000)
MUXER_OPTIONS = {"cluster_time_limit": "1000", "cluster_size_limit": str(1 << 20)}
"""Close a cluster every second (or MB): what a crash leaves is playable to that second."""
HELD_AUDIO = 500
"""Audio packets (10 s) held while waiting for the first video key frame to open the file."""

Kind = Literal["audio", "video"]
WEBM_CODECS: dict[str, str] = {"video": "vp8", "audio": "opus"}
State = Literal["waiting", "recording", "complete", "failed"]


def vp8_key_frame_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` of a VP8 key frame (RFC 6386, 9.1), or ``None`` for other frames."""
    if len(data) < 10 or data[0] & 1 or data[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return (width, height) if width and height else None


class Recorder:
    """One session's recording at ``path``. :meth:`expect` each kind of track first (the file
    is opened once every expected stream can be declared: video needs its first key frame),
    then feed encoded frames with :meth:`video` and :meth:`audio` from the event loop."""

    def __init__(
        self,
        path: Path,
        loop: asyncio.AbstractEventLoop,
        *,
        on_failure: Callable[[str], None] = lambda message: None,
        backlog: int = 2000,
    ) -> None:
        """``on_failure`` is called on ``loop`` when the recording stops on an error."""
        self.path = path
        self._loop = loop
        self._on_failure = on_failure
        self._queue: queue.Queue[tuple[Kind, bytes, int] | None] = queue.Queue(backlog)
        self._expected: set[Kind] = set()
        self._stop = False
        self.state: State = "waiting"
        self.error: str | None = None
        self.bytes_written = 0
        self.frames = {"video": 0, "audio": 0}
        self.dropped = 0
        self.left_out: dict[str, str] = {}
        """Tracks not recorded, by kind: their codec (not VP8 or Opus)."""
        self.last_t = 0.0
        """Seconds of media recorded (the newest frame's time)."""
        self._thread = threading.Thread(target=self._run, name="lens-recorder")
        self._thread.start()

    def expect(self, kind: Kind) -> None:
        self._expected.add(kind)

    def video(self, data: bytes, timestamp: int, codec: str = "VP8") -> None:
        if self._accepts("video", codec):
            self._put(("video", data, timestamp))

    def audio(self, data: bytes, timestamp: int, codec: str = "opus") -> None:
        if self._accepts("audio", codec):
            self._put(("audio", data, timestamp))

    def _accepts(self, kind: Kind, codec: str) -> bool:
        """WebM holds VP8 and Opus; a track in another codec (H.264 from Safari) is left out
        of the recording, which says so, rather than re-encoded."""
        if codec.lower() == WEBM_CODECS[kind]:
            return True
        if kind in self._expected:
            self._expected.discard(kind)
            self.left_out[kind] = codec
            log.warning(
                "the %s track (%s) is not recorded: WebM takes %s", kind, codec, WEBM_CODECS[kind]
            )
        return False

    def _put(self, item: tuple[Kind, bytes, int]) -> None:
        if self.state == "failed":
            return
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    def close(self) -> None:
        """Finish the file (on the recorder's thread, after what is queued); never blocks."""
        self._stop = True
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def join(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def to_dict(self) -> dict[str, Any]:
        """What the report says of the recording."""
        return {
            "state": self.state,
            "seconds": round(self.last_t, 3),
            "bytes": self.bytes_written,
            "video_frames": self.frames["video"],
            "audio_frames": self.frames["audio"],
            "dropped": self.dropped,
            "left_out": self.left_out or None,
            "error": self.error,
        }

    def _run(self) -> None:
        muxer: _Muxer | None = None
        held: list[tuple[Kind, bytes, int]] = []
        try:
            while True:
                try:
                    item = self._queue.get(timeout=0.5)
                except queue.Empty:
                    if self._stop:
                        break
                    continue
                if item is None:
                    break
                if self.state == "failed":
                    continue
                if muxer is None:
                    size = vp8_key_frame_size(item[1]) if item[0] == "video" else None
                    if item[0] == "video" and size is None:
                        continue  # nothing to show before the first key frame
                    if "video" in self._expected and size is None:
                        if len(held) < HELD_AUDIO:
                            held.append(item)
                        else:
                            self.dropped += 1
                        continue
                    muxer = self._open(size)
                    for early in held:
                        self._write(muxer, early)
                    held.clear()
                self._write(muxer, item)
        except OSError as exc:
            self._fail(f"the recording could not be written: {exc.strerror or exc}")
        except Exception as exc:
            self._fail(f"the recording failed: {exc}")
        finally:
            if muxer is not None:
                try:
                    muxer.close()
                except Exception as exc:  # the disk went away at the very end
                    self._fail(f"the recording could not be finished: {exc}")
            with contextlib.suppress(OSError):
                self.bytes_written = self.path.stat().st_size
            if self.state == "recording":
                self.state = "complete"

    def _open(self, size: tuple[int, int] | None) -> _Muxer:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        muxer = _Muxer(self.path, size, "audio" in self._expected)
        self.state = "recording"
        return muxer

    def _write(self, muxer: _Muxer, item: tuple[Kind, bytes, int]) -> None:
        kind, data, timestamp = item
        if muxer.write(kind, data, timestamp):
            self.frames[kind] += 1
            clock = VIDEO_CLOCK if kind == "video" else AUDIO_CLOCK
            self.last_t = max(self.last_t, float(timestamp * clock))

    def _fail(self, message: str) -> None:
        if self.state == "failed":
            return
        self.state, self.error = "failed", message
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody to tell
            self._loop.call_soon_threadsafe(self._on_failure, message)


class _Muxer:
    """The WebM file: VP8 and Opus streams fed with packets as they came."""

    def __init__(self, path: Path, size: tuple[int, int] | None, audio: bool) -> None:
        self._out: Any = av.open(str(path), "w", format="webm", options=MUXER_OPTIONS)
        self._streams: dict[str, Any] = {}
        self._last: dict[str, int] = {}
        if size is not None:
            self._streams["video"] = self._out.add_mux_stream("vp8", width=size[0], height=size[1])
        if audio:
            # An Opus encoder context (never used to encode) gives the file its OpusHead.
            self._streams["audio"] = self._out.add_stream("libopus", rate=48_000, layout="stereo")

    def write(self, kind: str, data: bytes, timestamp: int) -> bool:
        """Mux one encoded frame; ``False`` if it is out of order (dropped)."""
        stream = self._streams.get(kind)
        if stream is None or timestamp <= self._last.get(kind, -1):
            return False
        packet = av.Packet(data)
        packet.stream = stream
        packet.pts = packet.dts = timestamp
        packet.time_base = VIDEO_CLOCK if kind == "video" else AUDIO_CLOCK
        if kind == "video":
            packet.is_keyframe = vp8_key_frame_size(data) is not None
        self._out.mux(packet)
        self._last[kind] = timestamp
        return True

    def close(self) -> None:
        self._out.close()


def tap_encoded(receiver: Any, sink: Callable[[bytes, int, str], None]) -> bool:
    """Hand every encoded frame ``receiver`` (an aiortc ``RTCRtpReceiver``) passes to its
    decoder to ``sink`` too (payload, RTP timestamp mapped to start at 0, codec name).
    ``False`` when this aiortc has no such queue (the track is then not recorded)."""
    decoder_queue = getattr(receiver, "_RTCRtpReceiver__decoder_queue", None)
    if not isinstance(decoder_queue, queue.Queue):
        return False
    put = decoder_queue.put

    def tee(item: Any, *args: Any, **kwargs: Any) -> None:
        if item is not None:
            codec, frame = item
            sink(bytes(frame.data), int(frame.timestamp), str(codec.name))
        put(item, *args, **kwargs)

    decoder_queue.put = tee  # type: ignore[method-assign]
    return True


def record_track(recorder: Recorder | None, pc: Any, track: Any, kind: Kind) -> None:
    """Record what ``track``'s receiver in ``pc`` (an ``RTCPeerConnection``) gets, still
    encoded, into ``recorder`` (nothing without one)."""
    if recorder is None:
        return
    found = [t.receiver for t in pc.getTransceivers() if t.receiver.track is track]
    sink = recorder.video if kind == "video" else recorder.audio
    if found and tap_encoded(found[0], sink):
        recorder.expect(kind)
    else:
        log.warning("the %s track cannot be recorded: this aiortc hides its frames", kind)
