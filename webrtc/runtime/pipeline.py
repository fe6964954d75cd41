"""The live shell around the stream core: frames from a track's tap to the analysis threads,
results to the data channel.

What is analysed and when is decided by :mod:`analyzers.session.stream`, exactly as for recorded
files and the benchmarks; this module only moves things. Sampling runs on the event loop (cheap),
the analysis on the process's shared :class:`~webrtc.runtime.scheduler.AnalysisScheduler` threads,
one job at a time per pipeline (MediaPipe graphs are not thread-safe) under the pipeline's own lock.
An analyzer failure is logged with the session id, counted, reported once on the channel, and
never ends the session.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import av
import numpy as np

from analyzers.session.stream import AudioFinal, AudioStep, AudioStream, VideoFinal, VideoOutput
from analyzers.video.frame import VideoModels
from analyzers.video.summary import VideoSummary
from analyzers.voice.echo import EchoGate
from analyzers.voice.loudness import SILENCE_DBFS, rms_dbfs
from analyzers.voice.summary import AudioSummary
from analyzers.voice.turn import TurnQuestion
from analyzers.words.recognition import SpeechClip
from webrtc.protocol import CalibrateRequest, Error, ServerMessage, VideoRequest
from webrtc.results import (
    Blink,
    CalibrationMessage,
    PostureMessage,
    Setup,
    VideoFrameMessage,
    audio_message,
)
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.frame_queues import BoundedFrameQueue, LatestFrameSlot, StampedFrame
from webrtc.runtime.frames import AvImage, audio_resampler, audio_stream, resampled, video_stream
from webrtc.runtime.posture_worker import Dropped, PostureWorker
from webrtc.runtime.scheduler import AnalysisScheduler

log = logging.getLogger(__name__)

Send = Callable[[ServerMessage], None]
Observe = Callable[[object], None]
"""Where a pipeline's typed results go as well as the wire (the coach, the interviewer)."""
T = TypeVar("T")


class _Pipeline:
    kind: str

    def __init__(
        self,
        session_id: str,
        config: PipelineConfig,
        send: Send,
        scheduler: AnalysisScheduler[VideoModels],
        observe: Callable[[str, float], None] = lambda kind, seconds: None,
        *,
        results: Observe = lambda result: None,
        turns: bool = False,
    ) -> None:
        self.session_id = session_id
        self.config = config
        self._send = send
        self._results = results
        """Typed results, in order, whether or not a data channel is open."""
        self._turns = turns
        """An interview: the end-of-turn model is asked during silences."""
        self._scheduler = scheduler
        self._observe = observe
        self._lock = threading.Lock()
        self.errors = 0
        self._setup()

    def _setup(self) -> None:
        """The kind's own state: its queue, its stream."""

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

    async def _on_thread(self, fn: Callable[[], T]) -> T:
        return await self._scheduler.run(self._lock, fn)

    def _build(self) -> None:
        """Create the analyzers if they are not there yet (may load models)."""

    def _release(self) -> None:
        """Free the analyzers; runs as one of the pipeline's jobs, under its lock."""

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
    """Takes the newest frame when the last job is done; the stream core decides whether it
    gets the full analysis, the eye pass or nothing."""

    kind = "video"

    def _setup(self) -> None:
        self.slot = LatestFrameSlot()
        self.stream = video_stream(self.config, self._scheduler.video_models)
        self.summary: VideoSummary | None = None
        self._posture: asyncio.Task[None] | None = None

    @property
    def frames_analysed(self) -> int:
        return self.stream.frames_analysed

    @property
    def eye_passes(self) -> int:
        return self.stream.eye_passes

    @property
    def frames_skipped(self) -> int:
        """Frames drained but not analysed: outside the sampling grid, or replaced while busy."""
        return self.slot.replaced + self.stream.frames_skipped

    async def run(self) -> None:
        await self._prepare()
        rate = self._scheduler.rate
        while True:
            item = await self.slot.take()
            self.stream.set_full_fps(rate.fps)
            step = self.stream.sample(item.t)
            if step is None:
                continue
            assert isinstance(item.frame, av.VideoFrame)
            image = AvImage(item.frame, self.config.max_analysis_width)
            started = time.perf_counter()
            try:
                output = await self._on_thread(
                    functools.partial(self.stream.analyse, step, item.t, image)
                )
            except Exception as exc:
                self._failed(item.t, exc)
                continue
            self._deliver(output, item, (time.perf_counter() - started) * 1000.0)

    def request(self, request: VideoRequest) -> bool:
        """The client asked for the setup check again, or to calibrate eye contact: either
        starts on the next analysed frame."""
        if isinstance(request, CalibrateRequest):
            self.stream.request_calibration()
        else:
            self.stream.request_setup()
        return True

    def _deliver(self, output: VideoOutput, item: StampedFrame, elapsed_ms: float) -> None:
        if output.blink is not None:
            self._send(Blink.from_result(self.session_id, output.blink))
        if output.result is None:
            return
        self._scheduler.rate.observe(time.time() - item.received_at, time.monotonic())
        self._observe("video", elapsed_ms / 1000)
        self._results(output.result)
        if output.summary is not None:
            self.summary = output.summary
        self._send(
            VideoFrameMessage.from_result(
                self.session_id,
                output.result,
                received_at=item.received_at,
                analysis_ms=round(elapsed_ms, 2),
                frames_skipped=self.frames_skipped,
            )
        )
        if output.setup is not None:
            self._send(Setup.from_result(self.session_id, output.setup))
        if output.result.calibration is not None:
            self._send(CalibrationMessage.from_result(self.session_id, output.result.calibration))
        if output.pose_due is not None:
            self._start_posture(output.t, output.pose_due)

    def _start_posture(self, t: float, rgb: np.ndarray) -> None:
        """The posture sample, after the frame's result: one at a time per session."""
        worker = self._scheduler.posture
        if worker is None or (self._posture is not None and not self._posture.done()):
            return
        self._posture = asyncio.create_task(
            self._measure_posture(worker, t, rgb), name=f"lens-{self.session_id}-posture"
        )

    async def _measure_posture(self, worker: PostureWorker, t: float, rgb: np.ndarray) -> None:
        try:
            points = await worker.landmarks(rgb)
            posture = await self._on_thread(functools.partial(self.stream.add_posture, t, points))
        except Dropped:
            return
        except Exception as exc:
            self._failed(t, exc)
            return
        if posture is not None:
            self._send(PostureMessage.from_result(self.session_id, posture))

    async def _prepare(self) -> None:
        """Load the models on every shared thread first if no session has yet: once per
        process, instead of ~0.1 s of CPU and ~30 MB per session."""
        try:
            await self._scheduler.warm()
        except Exception as exc:
            self._failed(0.0, exc)
        await super()._prepare()

    def _build(self) -> None:
        self.stream.prepare()

    async def finish(self) -> VideoFinal | None:
        """The whole-session summary and timeline points so far, read on the analysis thread
        (the stream may go on: a checkpoint reads them too)."""
        return await self._on_thread(self.stream.finish)

    async def close(self) -> None:
        if self._posture is not None:
            self._posture.cancel()
        await super().close()

    def _release(self) -> None:
        self.stream.close()


def _samples(frame: object) -> int:
    return frame.samples if isinstance(frame, av.AudioFrame) else 0


class AudioPipeline(_Pipeline):
    """Hands decoded audio to the analysis threads in batches; there it is resampled to 16 kHz
    mono float32 and fed to the stream core."""

    kind = "audio"

    def _setup(self) -> None:
        self.queue = BoundedFrameQueue(self.config.audio_backlog_frames)
        self.stream: AudioStream = audio_stream(self.config, turns=self._turns)
        self._resampler = audio_resampler()
        self.summary: AudioSummary | None = None
        self.on_clips: Callable[[list[SpeechClip]], None] | None = None
        """Where each utterance's audio goes (the transcription pool), when transcripts are on."""
        self.on_partial: Callable[[SpeechClip], object] | None = None
        """Where the audio of an utterance going on goes, for a partial transcript."""
        self.listening_until = 0.0
        """Unix time until which the interviewer speaks (and a little after): audio received
        before it is analysed as silence, unless it is the person talking over the voice
        (:class:`~analyzers.voice.echo.EchoGate`): what the echo canceller left of the voice is
        never taken for their answer."""
        self.playing_since = 0.0
        """Unix time the interviewer's current playback began."""
        self.voice_level: Callable[[float, float], float] | None = None
        """The loudest the interviewer's voice was sent between two Unix times (dBFS);
        ``None``: no voice, everything heard while it speaks is silence."""
        self._echo = EchoGate()
        self._judging: set[asyncio.Task[None]] = set()
        self.judging_turns = False
        """Whether the end-of-turn model's judgements are wanted now (an answer is going on):
        a judgement costs a tenth of a second of CPU, none is made for other silences."""

    @property
    def frames_dropped(self) -> int:
        return self.queue.dropped

    @property
    def windows_analysed(self) -> int:
        return self.stream.windows_analysed

    async def run(self) -> None:
        # Frames (20-60 ms each) are handed to the analysis threads in batches of a duration:
        # one hand-off per frame would cost more than the analysis of a frame.
        batch = self.config.stream.audio_batch_ms / 1000
        await self._prepare()
        while True:
            # While the interviewer speaks, each frame at once: a person who talks over it
            # is heard a batch sooner, and the voice stops that much sooner (a barge-in).
            barging = time.time() < self.listening_until
            frames = await self.queue.take_all(at_least=0.0 if barging else batch)
            started = time.perf_counter()
            voice = self._voice_levels(frames)
            try:
                step = await self._on_thread(functools.partial(self._process, frames, voice))
            except Exception as exc:
                self._failed(frames[-1].t, exc)
                continue
            self._observe("audio", time.perf_counter() - started)
            received_at = frames[-1].received_at
            for output in step.outputs:
                if isinstance(output, TurnQuestion):
                    self._judge(output)
                    continue
                self._results(output)
                message = audio_message(self.session_id, output, received_at=received_at)
                if message is not None:
                    self._send(message)
            if step.summary is not None:
                self.summary = step.summary
            if step.clips and self.on_clips is not None:
                self.on_clips(step.clips)
            rate = self._scheduler.rate
            if step.partial is not None and self.on_partial and rate.fps >= rate.max_fps:
                self.on_partial(step.partial)  # not while the analysis sheds load

    def _build(self) -> None:
        self.stream.prepare()

    def _judge(self, question: TurnQuestion) -> None:
        """Have the end-of-turn model judge a silence on its own thread; its judgement joins
        the results when it comes (none: the answer ends on the silence rule)."""
        worker = self._scheduler.turns
        if worker is None or not self.judging_turns:
            return

        async def judged() -> None:
            try:
                prediction = await worker.judge(question)
            except Exception as exc:
                self._failed(question.asked_at, exc)
                return
            if prediction is not None:
                self._results(prediction)

        task = asyncio.create_task(judged(), name=f"lens-{self.session_id}-turn")
        self._judging.add(task)
        task.add_done_callback(self._judging.discard)

    def _voice_levels(self, frames: list[StampedFrame]) -> list[float | None]:
        """For each frame heard while the interviewer speaks, the loudest its voice was in the
        moments before (read on the loop, where the voice track writes them); ``None`` for the
        others."""
        delay, level = self._echo.params.max_delay, self.voice_level
        levels: list[float | None] = []
        for item in frames:
            heard = item.received_at
            if heard >= self.listening_until:
                levels.append(None)
            else:
                levels.append(SILENCE_DBFS if level is None else level(heard - delay, heard))
        return levels

    def _process(self, frames: list[StampedFrame], voice: list[float | None]) -> AudioStep:
        decoded = [item.frame for item in frames if isinstance(item.frame, av.AudioFrame)]
        samples = resampled(self._resampler, decoded)
        if not any(level is not None for level in voice):
            return self.stream.feed(samples, frames[0].t)
        # The interviewer speaks: analysed at once, so that talking over it is heard at once.
        step = self.stream.feed(self._gate(samples, frames, voice), frames[0].t)
        return step.then(self.stream.flush())

    def _gate(
        self, samples: np.ndarray, frames: list[StampedFrame], voice: list[float | None]
    ) -> np.ndarray:
        """Silence the stretches heard while the interviewer spoke that are its echo, not the
        person over it (a barge-in passes)."""
        samples = samples.copy()
        lengths = np.array([_samples(item.frame) for item in frames], np.float64)
        edges = np.round(np.cumsum(np.concatenate([[0.0], lengths])) / lengths.sum() * samples.size)
        for item, level, a, b in zip(frames, voice, edges[:-1], edges[1:], strict=True):
            span = samples[int(a) : int(b)]
            if level is None or span.size == 0:
                continue
            if self.voice_level is None or not self._echo.is_person(
                item.received_at, rms_dbfs(span), level, self.playing_since
            ):
                span[:] = 0.0
        return samples

    async def finish(self) -> AudioFinal | None:
        """The stream ended: an utterance still open goes to transcription; then the
        whole-session summary and points."""
        step = await self._on_thread(self.stream.end)
        if step.clips and self.on_clips is not None:
            self.on_clips(step.clips)
        return await self._on_thread(self.stream.finish)

    async def snapshot(self) -> AudioFinal | None:
        """The summary and points so far (a checkpoint); the stream goes on."""
        return await self._on_thread(self.stream.finish)

    async def close(self) -> None:
        for task in self._judging:
            task.cancel()
        await super().close()

    def _release(self) -> None:
        self.stream.close()
