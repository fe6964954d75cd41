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
from analyzers.audio import AudioAnalysisOptions, AudioAnalyzer, AudioOutput, AudioWindowResult
from analyzers.audio_summary import AudioSummary
from analyzers.blinks import Blink as BlinkResult
from analyzers.sampling import VideoSampler
from analyzers.video import (
    VideoAnalysisOptions,
    VideoFrameAnalyzer,
    VideoFrameResult,
    build_expression_model,
)
from analyzers.video_summary import VideoSummary
from webrtc.config import PipelineConfig
from webrtc.protocol import Error, ServerMessage
from webrtc.report import AudioFinal, VideoFinal
from webrtc.results import Blink, VideoFrame, audio_message
from webrtc.tracks import BoundedFrameQueue, LatestFrameSlot, StampedFrame, analysis_array

log = logging.getLogger(__name__)

Send = Callable[[ServerMessage], None]


def build_video_analyzer(config: PipelineConfig) -> VideoFrameAnalyzer:
    model = build_expression_model(config.expression_backend, config.expression_model_path)
    return VideoFrameAnalyzer(
        model,
        VideoAnalysisOptions(
            tile_scan=config.tile_scan,
            eye_contact_tolerance=config.eye_contact_tolerance,
            summary_window=config.summary_window,
        ),
    )


def build_audio_analyzer(config: PipelineConfig) -> AudioAnalyzer:
    return AudioAnalyzer(
        AudioAnalysisOptions(
            window_ms=config.audio_window_ms,
            vad_aggressiveness=config.vad_aggressiveness,
            min_pause=config.min_pause,
            summary_window=config.summary_window,
            language=config.language,
        )
    )


class _Pipeline:
    kind: str

    def __init__(
        self,
        session_id: str,
        config: PipelineConfig,
        send: Send,
        observe: Callable[[str, float], None] = lambda kind, seconds: None,
    ) -> None:
        self.session_id = session_id
        self.config = config
        self._send = send
        self._observe = observe
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"lens-{self.kind}-{session_id}"
        )
        self.errors = 0
        self._setup()

    def _setup(self) -> None:
        """The kind's own state (its queue, its analyzer slot, its counters)."""

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

    async def _on_thread(self, fn: Callable[[], object]) -> object:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def close(self) -> None:
        """Release the analyzers on their own thread, then let the thread exit."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._executor, self._release)
        finally:
            self._executor.shutdown(wait=False)


class VideoPipeline(_Pipeline):
    """Analyses the newest frame ``video_fps`` times per second of media, and runs the cheap
    eye pass on the newest frame ``blink_fps`` times per second in between."""

    kind = "video"

    def _setup(self) -> None:
        self.slot = LatestFrameSlot()
        self._analyzer: VideoFrameAnalyzer | None = None
        self.frames_analysed = 0
        self.eye_passes = 0
        self._sampled_out = 0
        self.summary: VideoSummary | None = None

    @property
    def frames_skipped(self) -> int:
        """Frames drained but not analysed: outside the sampling grid, or replaced while busy."""
        return self.slot.replaced + self._sampled_out

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        sampler = VideoSampler(self.config.video_fps, self.config.blink_fps)
        while True:
            item = await self.slot.take()
            match sampler.decide(item.t):
                case "full":
                    await self._full_pass(loop, item)
                case "eyes":
                    await self._eye_pass(loop, item)
                case _:
                    self._sampled_out += 1

    async def _full_pass(self, loop: asyncio.AbstractEventLoop, item: StampedFrame) -> None:
        try:
            result, summary, analysis_ms = await loop.run_in_executor(
                self._executor, self._analyse, item
            )
        except Exception as exc:
            self._failed(item.t, exc)
            return
        self.frames_analysed += 1
        self.summary = summary
        self._observe("video", analysis_ms / 1000)
        if result.blink is not None:
            self._send(Blink.from_result(self.session_id, result.blink))
        self._send(
            VideoFrame.from_result(
                self.session_id,
                result,
                received_at=item.received_at,
                analysis_ms=round(analysis_ms, 2),
                frames_skipped=self.frames_skipped,
            )
        )

    async def _eye_pass(self, loop: asyncio.AbstractEventLoop, item: StampedFrame) -> None:
        try:
            blink = await loop.run_in_executor(self._executor, self._probe_eyes, item)
        except Exception as exc:
            self._failed(item.t, exc)
            return
        self.eye_passes += 1
        if blink is not None:
            self._send(Blink.from_result(self.session_id, blink))

    def _analyzer_for_thread(self) -> VideoFrameAnalyzer:
        if self._analyzer is None:
            self._analyzer = build_video_analyzer(self.config)
        return self._analyzer

    def _analyse(self, item: StampedFrame) -> tuple[VideoFrameResult, VideoSummary, float]:
        started = time.perf_counter()
        analyzer = self._analyzer_for_thread()
        assert isinstance(item.frame, av.VideoFrame)
        rgb = analysis_array(item.frame, self.config.max_analysis_width, "rgb24")
        result = analyzer.update(rgb, item.t)
        summary = analyzer.summary(item.t)
        return result, summary, (time.perf_counter() - started) * 1000.0

    def _probe_eyes(self, item: StampedFrame) -> BlinkResult | None:
        analyzer = self._analyzer_for_thread()
        assert isinstance(item.frame, av.VideoFrame)
        luma = analysis_array(item.frame, self.config.max_analysis_width, "gray")
        return analyzer.update_eyes(luma, item.t)

    async def finish(self) -> VideoFinal | None:
        """The whole-session summary and timeline points, read on the analysis thread."""

        def read() -> VideoFinal | None:
            if self._analyzer is None:
                return None
            return VideoFinal(self._analyzer.session_summary(), list(self._analyzer.points))

        return await self._on_thread(read)  # type: ignore[return-value]

    def _release(self) -> None:
        if self._analyzer is not None:
            self._analyzer.close()
            self._analyzer = None


class AudioPipeline(_Pipeline):
    """Resamples to 16 kHz mono float32 and streams it through the audio analyzers."""

    kind = "audio"

    def _setup(self) -> None:
        self.queue = BoundedFrameQueue(self.config.audio_backlog_frames)
        self._analyzer: AudioAnalyzer | None = None
        self._resampler: av.AudioResampler | None = None
        self.windows_analysed = 0
        self.summary: AudioSummary | None = None

    @property
    def frames_dropped(self) -> int:
        return self.queue.dropped

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            frames = await self.queue.take_all()
            started = time.perf_counter()
            try:
                outputs, summary = await loop.run_in_executor(self._executor, self._process, frames)
            except Exception as exc:
                self._failed(frames[-1].t, exc)
                continue
            self._observe("audio", time.perf_counter() - started)
            received_at = frames[-1].received_at
            for output in outputs:
                message = audio_message(self.session_id, output, received_at=received_at)
                if message is not None:
                    self._send(message)
            self.windows_analysed += sum(isinstance(o, AudioWindowResult) for o in outputs)
            if summary is not None:
                self.summary = summary

    def _process(self, frames: list[StampedFrame]) -> tuple[list[AudioOutput], AudioSummary | None]:
        if self._analyzer is None:
            self._analyzer = build_audio_analyzer(self.config)
            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        assert self._resampler is not None
        outputs: list[AudioOutput] = []
        for item in frames:
            assert isinstance(item.frame, av.AudioFrame)
            for out in self._resampler.resample(item.frame):
                samples = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                outputs.extend(self._analyzer.push(samples, item.t))
        windows = any(isinstance(o, AudioWindowResult) for o in outputs)
        return outputs, self._analyzer.summary() if windows else None

    async def finish(self) -> AudioFinal | None:
        def read() -> AudioFinal | None:
            if self._analyzer is None:
                return None
            analyzer = self._analyzer
            return AudioFinal(analyzer.session_summary(), list(analyzer.points), analyzer.seconds)

        return await self._on_thread(read)  # type: ignore[return-value]

    def _release(self) -> None:
        self._analyzer = None
        self._resampler = None
