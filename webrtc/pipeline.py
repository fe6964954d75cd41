"""Per-track analysis pipelines: take frames from a tap, analyse them off the event loop.

The analysis runs on the process's shared :class:`~webrtc.scheduler.AnalysisScheduler` threads.
A pipeline's analyzers are built, used and closed by one job at a time (MediaPipe graphs are not
thread-safe), under the pipeline's own lock, and the event loop only ever awaits them.
An analyzer failure is logged with the session id, counted, reported once on the channel, and
never ends the session.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

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
from webrtc.scheduler import AnalysisScheduler
from webrtc.tracks import BoundedFrameQueue, LatestFrameSlot, StampedFrame, analysis_array

log = logging.getLogger(__name__)

Send = Callable[[ServerMessage], None]
T = TypeVar("T")


def video_options(config: PipelineConfig) -> VideoAnalysisOptions:
    return VideoAnalysisOptions(
        tile_scan=config.tile_scan,
        eye_contact_tolerance=config.eye_contact_tolerance,
        summary_window=config.summary_window,
    )


def build_video_analyzer(config: PipelineConfig) -> VideoFrameAnalyzer:
    """An analyzer with models of its own (recorded files, the load tools)."""
    model = build_expression_model(config.expression_backend, config.expression_model_path)
    return VideoFrameAnalyzer(model, video_options(config))


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


def full_pass(
    analyzer: VideoFrameAnalyzer, frame: av.VideoFrame, t: float, max_width: int
) -> VideoFrameResult:
    """Every video analyzer on one frame (the live pipelines, recorded files and the load
    tools all analyse frames through these three steps)."""
    return analyzer.update(analysis_array(frame, max_width, "rgb24"), t)


def eye_pass(
    analyzer: VideoFrameAnalyzer, frame: av.VideoFrame, t: float, max_width: int
) -> BlinkResult | None:
    """The cheap eye probe on one frame's luma plane."""
    return analyzer.update_eyes(analysis_array(frame, max_width, "gray"), t)


def audio_pass(
    analyzer: AudioAnalyzer,
    resampler: av.AudioResampler,
    frames: Sequence[av.AudioFrame],
    t: float,
) -> list[AudioOutput]:
    """Consecutive decoded audio frames, the first at media time ``t``, resampled to 16 kHz
    mono float32 and pushed through the chain in one piece (the chain's per-frame steps run
    vectorised over a push)."""
    chunks = [out.to_ndarray().reshape(-1) for f in frames for out in resampler.resample(f)]
    if not chunks:
        return []
    return analyzer.push(np.concatenate(chunks).astype(np.float32, copy=False), t)


def audio_resampler() -> av.AudioResampler:
    return av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)


class Every:
    """True at most once per ``seconds`` of media time, and on the first call.

    Gates the rolling summaries: the session sends the newest one every ``summary_interval``
    seconds, so working one out after every analysed frame or window (10 or 5 a second) would
    mostly be thrown away. At half the interval, the summary sent is at most half an interval
    older than the newest result."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: float | None = None

    def __call__(self, t: float) -> bool:
        if self._last is not None and abs(t - self._last) < self.seconds:
            return False
        self._last = t
        return True


class _Pipeline:
    kind: str

    def __init__(
        self,
        session_id: str,
        config: PipelineConfig,
        send: Send,
        scheduler: AnalysisScheduler,
        observe: Callable[[str, float], None] = lambda kind, seconds: None,
    ) -> None:
        self.session_id = session_id
        self.config = config
        self._send = send
        self._scheduler = scheduler
        self._observe = observe
        self._lock = threading.Lock()
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
        """Free the analyzers; runs as one of the pipeline's jobs, under its lock."""

    async def _on_thread(self, fn: Callable[[], T]) -> T:
        return await self._scheduler.run(self._lock, fn)

    def _build(self) -> None:
        """Create the analyzers if they are not there yet (loads models)."""

    async def _prepare(self) -> None:
        """Build the analyzers on the loop's executor, off the shared threads. A failure here
        is reported like any analysis failure, and retried on the first job."""

        def build() -> None:
            with self._lock:
                self._build()

        try:
            await asyncio.get_running_loop().run_in_executor(None, build)
        except Exception as exc:
            self._failed(0.0, exc)

    async def close(self) -> None:
        """Release the analyzers, after any job of this pipeline still running."""
        await self._on_thread(self._release)


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
        self._summarise = Every(self.config.summary_interval / 2)

    @property
    def frames_skipped(self) -> int:
        """Frames drained but not analysed: outside the sampling grid, or replaced while busy."""
        return self.slot.replaced + self._sampled_out

    async def run(self) -> None:
        await self._prepare()
        sampler = VideoSampler(self.config.video_fps, self.config.blink_fps)
        rate = self._scheduler.rate
        while True:
            item = await self.slot.take()
            sampler.set_full_fps(rate.fps)
            match sampler.decide(item.t):
                case "full":
                    await self._full_pass(item)
                case "eyes":
                    await self._eye_pass(item)
                case _:
                    self._sampled_out += 1

    async def _full_pass(self, item: StampedFrame) -> None:
        try:
            result, summary, analysis_ms = await self._on_thread(lambda: self._analyse(item))
        except Exception as exc:
            self._failed(item.t, exc)
            return
        self._scheduler.rate.observe(time.time() - item.received_at, time.monotonic())
        self.frames_analysed += 1
        if summary is not None:
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

    async def _eye_pass(self, item: StampedFrame) -> None:
        try:
            blink = await self._on_thread(lambda: self._probe_eyes(item))
        except Exception as exc:
            self._failed(item.t, exc)
            return
        self.eye_passes += 1
        if blink is not None:
            self._send(Blink.from_result(self.session_id, blink))

    async def _prepare(self) -> None:
        """Load the models on every shared thread first if no session has yet: once per
        process, instead of ~0.1 s of CPU and ~30 MB per session."""
        try:
            await self._scheduler.warm()
        except Exception as exc:
            self._failed(0.0, exc)
        await super()._prepare()

    def _build(self) -> None:
        if self._analyzer is None:
            self._analyzer = VideoFrameAnalyzer(
                options=video_options(self.config), models=self._scheduler.video_models
            )

    def _analyzer_for_thread(self) -> VideoFrameAnalyzer:
        self._build()
        assert self._analyzer is not None
        return self._analyzer

    def _analyse(self, item: StampedFrame) -> tuple[VideoFrameResult, VideoSummary | None, float]:
        started = time.perf_counter()
        analyzer = self._analyzer_for_thread()
        assert isinstance(item.frame, av.VideoFrame)
        result = full_pass(analyzer, item.frame, item.t, self.config.max_analysis_width)
        summary = analyzer.summary(item.t) if self._summarise(item.t) else None
        return result, summary, (time.perf_counter() - started) * 1000.0

    def _probe_eyes(self, item: StampedFrame) -> BlinkResult | None:
        analyzer = self._analyzer_for_thread()
        assert isinstance(item.frame, av.VideoFrame)
        return eye_pass(analyzer, item.frame, item.t, self.config.max_analysis_width)

    async def finish(self) -> VideoFinal | None:
        """The whole-session summary and timeline points, read on the analysis thread."""

        def read() -> VideoFinal | None:
            if self._analyzer is None:
                return None
            return VideoFinal(self._analyzer.session_summary(), list(self._analyzer.points))

        return await self._on_thread(read)

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
        self._summarise = Every(self.config.summary_interval / 2)

    @property
    def frames_dropped(self) -> int:
        return self.queue.dropped

    async def run(self) -> None:
        # 20 ms frames are handed to the analysis threads in batches: one hand-off per frame
        # would cost more than the analysis of a frame.
        batch = max(1, round(self.config.audio_batch_ms / 20))
        await self._prepare()
        while True:
            frames = await self.queue.take_all(at_least=batch)
            started = time.perf_counter()
            try:
                outputs, summary = await self._on_thread(lambda f=frames: self._process(f))
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

    def _build(self) -> None:
        if self._analyzer is None:
            self._analyzer = build_audio_analyzer(self.config)
            self._resampler = audio_resampler()

    def _process(self, frames: list[StampedFrame]) -> tuple[list[AudioOutput], AudioSummary | None]:
        self._build()
        assert self._analyzer is not None and self._resampler is not None
        decoded = [item.frame for item in frames if isinstance(item.frame, av.AudioFrame)]
        outputs = audio_pass(self._analyzer, self._resampler, decoded, frames[0].t)
        windows = any(isinstance(o, AudioWindowResult) for o in outputs)
        summarise = windows and self._summarise(frames[-1].t)
        return outputs, self._analyzer.summary() if summarise else None

    async def finish(self) -> AudioFinal | None:
        def read() -> AudioFinal | None:
            if self._analyzer is None:
                return None
            analyzer = self._analyzer
            return AudioFinal(analyzer.session_summary(), list(analyzer.points), analyzer.seconds)

        return await self._on_thread(read)

    def _release(self) -> None:
        self._analyzer = None
        self._resampler = None
