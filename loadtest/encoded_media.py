"""Load-test media, encoded once: VP8 video of a real face and Opus speech, as packets that every
simulated peer replays. Encoding per peer would make the load client, not the server, the
bottleneck: one VP8 encode of 640x480 costs more CPU than the server's analysis of it.

Peers send what the demo page's browser sends (``static/js/lens-client.js``; counted at the
server with Chromium sending, ``docs/benchmarks.md``): 10 frames a second at 250 kbit/s of a
camera with sensor noise, and Opus in packets of the ``a=ptime`` the server's answer asks."""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from webrtc.runtime.config import PipelineConfig

BROWSER_FPS = 10
"""``maxFramerate`` of ``LensClient`` (``static/js/lens-client.js``)."""
BROWSER_VIDEO_KBPS = 250
"""``maxVideoBitrate`` of ``LensClient``, in kbit/s."""
SENSOR_NOISE = 2.0
"""Gaussian noise (8-bit levels) a webcam adds to every frame: what makes the encoder spend its
whole budget, where a still image costs it almost nothing."""
VIDEO_TIME_BASE = Fraction(1, 90_000)
AUDIO_TIME_BASE = Fraction(1, 48_000)
SPEECH = (
    "Thank you for having me. In my last role I led a small team that rebuilt our billing "
    "system, and we cut the time to close the books from five days to one."
)


@dataclass(frozen=True)
class EncodedMedia:
    """Packets of one loop of media, and how long each lasts in its time base."""

    video: list[tuple[bytes, int]]
    audio: list[tuple[bytes, int]]
    fps: int


def face_frames(
    width: int, height: int, count: int, noise: float = SENSOR_NOISE
) -> list[np.ndarray]:
    """The astronaut, framed like a webcam, swaying gently, with a camera's sensor noise."""
    from skimage import data

    photo = data.astronaut()
    scale = 0.9 * height / 480
    face = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frames = []
    rng = np.random.default_rng(0)
    for i in range(count):
        canvas = np.full((height, width, 3), 90, np.uint8)
        dx = int(6 * np.sin(2 * np.pi * i / count))
        h, w = face.shape[:2]
        x0, y0 = (width - w) // 2 + dx, (height - h) // 2
        xs, ys, xe, ye = max(0, x0), max(0, y0), min(width, x0 + w), min(height, y0 + h)
        canvas[ys:ye, xs:xe] = face[ys - y0 : ye - y0, xs - x0 : xe - x0]
        if noise:
            grain = rng.normal(0, noise, canvas.shape)
            canvas = np.clip(canvas + grain, 0, 255).astype(np.uint8)
        frames.append(canvas)
    return frames


def speech_samples(seconds: float) -> np.ndarray:
    """espeak-ng speech at 48 kHz mono, with a pause after each sentence, ``seconds`` long."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "speech.wav"
        subprocess.run(["espeak-ng", "-w", str(wav), SPEECH], check=True, capture_output=True)
        with av.open(str(wav)) as container:
            resampler = av.AudioResampler(format="flt", layout="mono", rate=48_000)
            chunks = [
                out.to_ndarray().reshape(-1)
                for frame in container.decode(audio=0)
                for out in resampler.resample(frame)
            ]
    one = np.concatenate([*chunks, np.zeros(48_000, np.float32)])
    return np.tile(one, int(np.ceil(seconds * 48_000 / one.size)))[: int(seconds * 48_000)]


def encode(
    width: int = 640,
    height: int = 480,
    fps: int = BROWSER_FPS,
    seconds: int = 12,
    *,
    kbps: int = BROWSER_VIDEO_KBPS,
    ptime: int = PipelineConfig().audio_ptime or 20,
) -> EncodedMedia:
    vp8 = av.CodecContext.create("libvpx", "w")
    vp8.width, vp8.height, vp8.pix_fmt = width, height, "yuv420p"
    vp8.time_base = VIDEO_TIME_BASE
    vp8.bit_rate = kbps * 1000
    vp8.gop_size = 2 * fps  # a keyframe every 2 s: a peer joining mid-loop decodes soon
    vp8.options = {"deadline": "realtime", "cpu-used": "8"}
    step = 90_000 // fps
    video = []
    for i, image in enumerate(face_frames(width, height, fps * seconds)):
        frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = i * step, VIDEO_TIME_BASE
        video += [(bytes(p), step) for p in vp8.encode(frame)]
    video += [(bytes(p), step) for p in vp8.encode(None)]
    opus = av.CodecContext.create("libopus", "w")
    opus.sample_rate, opus.layout, opus.format = 48_000, "mono", "s16"
    opus.bit_rate = 32_000
    size = 48 * ptime  # samples per packet
    opus.options = {"frame_duration": str(ptime)}
    pcm = (np.clip(speech_samples(seconds), -1, 1) * 32767).astype(np.int16)
    audio = []
    for i in range(0, pcm.size - size + 1, size):
        sound = av.AudioFrame.from_ndarray(
            pcm[i : i + size].reshape(1, -1), format="s16", layout="mono"
        )
        sound.sample_rate, sound.pts, sound.time_base = 48_000, i, AUDIO_TIME_BASE
        audio += [(bytes(p), size) for p in opus.encode(sound)]
    return EncodedMedia(video=video, audio=audio, fps=fps)


class ReplayTrack(MediaStreamTrack):
    """Replays encoded packets in real time, looping; aiortc packetizes them without encoding."""

    def __init__(self, kind: str, packets: list[tuple[bytes, int]], time_base: Fraction) -> None:
        super().__init__()
        self.kind = kind
        self._packets = packets
        self._time_base = time_base
        self._index = 0
        self._pts = 0
        self._start: float | None = None
        self.started_at: float | None = None
        """Unix time the first packet was sent: media time ``t`` was sent at ``started_at + t``."""

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
            self.started_at = time.time()
        due = self._start + float(self._pts * self._time_base)
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        payload, duration = self._packets[self._index % len(self._packets)]
        self._index += 1
        packet = av.Packet(payload)
        packet.pts, packet.time_base = self._pts, self._time_base
        self._pts += duration
        return packet
