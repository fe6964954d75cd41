"""Per-track analysis pipelines: take frames from a tap, analyse them off the event loop.

Each pipeline owns one single-thread executor. The analyzers are built, used and closed on that
thread only (MediaPipe graphs are not thread-safe), and the event loop only ever awaits them.
An analyzer failure is logged with the session id, counted, reported once on the channel, and
never ends the session.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import av
import numpy as np

from analyzers import AUDIO_RATE
from analyzers.audio import AudioWindowAnalyzer, AudioWindowResult
from analyzers.video import VideoFrameAnalyzer, VideoFrameResult
from webrtc.config import PipelineConfig
from webrtc.protocol import AudioWindow, Error, ServerMessage, VideoFrame
from webrtc.tracks import BoundedFrameQueue, LatestFrameSlot, StampedFrame

log = logging.getLogger(__name__)

Send = Callable[[ServerMessage], None]


class _Pipeline:
    kind: str

    def __init__(self, session_id: str, config: PipelineConfig, send: Send) -> None:
        self.session_id = session_id
        self.config = config
        self._send = send
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"lens-{self.kind}-{session_id}"
        )
        self.errors = 0

    def _failed(self, t: float, exc: BaseException) -> None:
        self.errors += 1
        log.exception(
            "session %s: %s analysis failed at t=%.3f",
            self.session_id,
            self.kind,
            t,
            exc_info=exc,
        )
        if self.errors == 1:
            self._send(
                Error(self.session_id, t, "analysis_failed", f"{self.kind} analysis failed: {exc}")
            )

    def _release(self) -> None:
        """Free the analyzers; runs on the pipeline thread."""

    async def close(self) -> None:
        """Release the analyzers on their own thread, then let the thread exit."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._release)
        finally:
            self._executor.shutdown(wait=False)


class VideoPipeline(_Pipeline):
    """Analyses the newest frame at most ``video_fps`` times per second of media."""

    kind = "video"

    def __init__(self, session_id: str, config: PipelineConfig, send: Send) -> None:
        super().__init__(session_id, config, send)
        self.slot = LatestFrameSlot()
        self._analyzer: VideoFrameAnalyzer | None = None
        self.frames_analysed = 0
        self._sampled_out = 0

    @property
    def frames_skipped(self) -> int:
        """Frames drained but not analysed: outside the sampling grid, or replaced while busy."""
        return self.slot.replaced + self._sampled_out

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        interval = 1.0 / self.config.video_fps
        # A frame a little early for its slot on the grid still takes it: cameras jitter.
        tolerance = min(0.02, interval / 4)
        next_due = 0.0
        while True:
            item = await self.slot.take()
            if item.t < next_due - tolerance:
                self._sampled_out += 1
                continue
            next_due += interval
            if next_due <= item.t:
                next_due = item.t + interval
            try:
                result, analysis_ms = await loop.run_in_executor(
                    self._executor, self._analyse, item
                )
            except Exception as exc:
                self._failed(item.t, exc)
                continue
            self.frames_analysed += 1
            self._send(
                VideoFrame.from_result(
                    self.session_id,
                    result,
                    received_at=item.received_at,
                    analysis_ms=round(analysis_ms, 2),
                    frames_skipped=self.frames_skipped,
                )
            )

    def _analyse(self, item: StampedFrame) -> tuple[VideoFrameResult, float]:
        started = time.perf_counter()
        if self._analyzer is None:
            self._analyzer = VideoFrameAnalyzer(tile_scan=self.config.tile_scan)
        frame = item.frame
        assert isinstance(frame, av.VideoFrame)
        max_width = self.config.max_analysis_width
        if frame.width > max_width:
            height = max(2, round(frame.height * max_width / frame.width / 2) * 2)
            frame = frame.reformat(width=max_width, height=height, format="rgb24")
        rgb = frame.to_ndarray(format="rgb24")
        result = self._analyzer.update(rgb, item.t)
        return result, (time.perf_counter() - started) * 1000.0

    def _release(self) -> None:
        if self._analyzer is not None:
            self._analyzer.close()
            self._analyzer = None


class AudioPipeline(_Pipeline):
    """Resamples to 16 kHz mono float32 and analyses consecutive windows."""

    kind = "audio"

    def __init__(self, session_id: str, config: PipelineConfig, send: Send) -> None:
        super().__init__(session_id, config, send)
        self.queue = BoundedFrameQueue(config.audio_backlog_frames)
        self._analyzer: AudioWindowAnalyzer | None = None
        self._resampler: av.AudioResampler | None = None
        self._pending: list[np.ndarray] = []
        self._pending_samples = 0
        self._pending_t = 0.0
        self.windows_analysed = 0

    @property
    def frames_dropped(self) -> int:
        return self.queue.dropped

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            frames = await self.queue.take_all()
            try:
                results = await loop.run_in_executor(self._executor, self._process, frames)
            except Exception as exc:
                self._failed(frames[-1].t, exc)
                continue
            for result, received_at in results:
                self.windows_analysed += 1
                self._send(
                    AudioWindow.from_result(self.session_id, result, received_at=received_at)
                )

    def _process(self, frames: list[StampedFrame]) -> list[tuple[AudioWindowResult, float]]:
        if self._analyzer is None:
            self._analyzer = AudioWindowAnalyzer(
                window_ms=self.config.audio_window_ms,
                vad_aggressiveness=self.config.vad_aggressiveness,
            )
            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        assert self._resampler is not None
        size = self._analyzer.window_samples
        results: list[tuple[AudioWindowResult, float]] = []
        for item in frames:
            assert isinstance(item.frame, av.AudioFrame)
            for out in self._resampler.resample(item.frame):
                if self._pending_samples == 0:
                    self._pending_t = item.t
                samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                self._pending.append(samples)
                self._pending_samples += samples.size
            while self._pending_samples >= size:
                buffer = np.concatenate(self._pending)
                window, rest = buffer[:size], buffer[size:]
                results.append((self._analyzer.update(window, self._pending_t), item.received_at))
                self._pending = [rest] if rest.size else []
                self._pending_samples = rest.size
                self._pending_t += size / AUDIO_RATE
        return results

    def _release(self) -> None:
        self._analyzer = None
        self._resampler = None
        self._pending.clear()
