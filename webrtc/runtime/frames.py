"""PyAV frames into the stream core: frames as arrays for analysis, audio resampled to 16 kHz
mono, and the streams built from a :class:`~webrtc.runtime.config.PipelineConfig`.

Every path that holds decoded frames (live sessions, recorded files, the benchmarks) goes
through these to reach :mod:`analyzers.session.stream`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import av
import numpy as np

from analyzers import AUDIO_RATE
from analyzers.session.stream import NOTHING, AudioStep, AudioStream, VideoStream
from analyzers.video.frame import VideoFrameAnalyzer, VideoModels, build_expression_model
from analyzers.voice.turn import TurnWatcher
from analyzers.voice.windows import AudioAnalyzer, follows
from webrtc.runtime.config import PipelineConfig


def analysis_array(frame: av.VideoFrame, max_width: int, pixel_format: str) -> np.ndarray:
    """The frame as an array for analysis (``rgb24`` or ``gray``), scaled down to ``max_width``
    keeping its aspect (even height) when it is wider."""
    if frame.width > max_width:
        height = max(2, round(frame.height * max_width / frame.width / 2) * 2)
        frame = frame.reformat(width=max_width, height=height, format=pixel_format)
    return frame.to_ndarray(format=pixel_format)


class AvImage:
    """A decoded frame as the stream core's :class:`~analyzers.session.stream.FrameImage`: converted
    (and scaled to ``max_width``) only for the pass that needs it."""

    __slots__ = ("_frame", "_max_width")

    def __init__(self, frame: av.VideoFrame, max_width: int) -> None:
        self._frame = frame
        self._max_width = max_width

    def rgb(self) -> np.ndarray:
        return analysis_array(self._frame, self._max_width, "rgb24")

    def gray(self) -> np.ndarray:
        return analysis_array(self._frame, self._max_width, "gray")


def audio_resampler() -> av.AudioResampler:
    return av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)


def resampled(resampler: av.AudioResampler, frames: Sequence[av.AudioFrame]) -> np.ndarray:
    """Consecutive decoded audio frames as one run of 16 kHz mono float32 samples."""
    chunks = [out.to_ndarray().reshape(-1) for f in frames for out in resampler.resample(f)]
    if not chunks:
        return np.zeros(0, np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)


class AudioFrames:
    """Decoded audio frames into an :class:`~analyzers.session.stream.AudioStream`, resampled a
    batch (``LENS_AUDIO_BATCH_MS``) at a time, as the live shell hands them over: one resampler call
    per 20 ms frame costs more than the resampling. A frame that does not follow the ones held
    ends the batch, so the stream sees the gap."""

    def __init__(self, stream: AudioStream, batch_ms: int) -> None:
        self.stream = stream
        self._resampler = audio_resampler()
        self._batch = max(1, round(batch_ms / 20))
        self._held: list[av.AudioFrame] = []
        self._held_t = 0.0
        self._held_seconds = 0.0

    def feed(self, frame: av.AudioFrame, t: float) -> AudioStep:
        step = NOTHING
        if self._held and not follows(self._held_t, round(self._held_seconds * AUDIO_RATE), t):
            step = self._hand_over()
        if not self._held:
            self._held_t = t
        self._held.append(frame)
        self._held_seconds += frame.samples / frame.sample_rate
        if len(self._held) < self._batch:
            return step
        return step.then(self._hand_over())

    def _hand_over(self) -> AudioStep:
        frames, self._held, self._held_seconds = self._held, [], 0.0
        return self.stream.feed(resampled(self._resampler, frames), self._held_t)

    def end(self) -> AudioStep:
        """The end of the stream: whatever is held, analysed (see :meth:`AudioStream.end`)."""
        handed = self._hand_over() if self._held else NOTHING
        return handed.then(self.stream.end())


def video_stream(
    config: PipelineConfig, models: Callable[[], VideoModels] | None = None
) -> VideoStream:
    """The stream core for one video track: with ``models`` (the shared threads' sets, live)
    or loading a set of its own (recorded files, the benchmarks) when it is first used."""
    options = config.stream.video

    def build() -> VideoFrameAnalyzer:
        if models is not None:
            return VideoFrameAnalyzer(options=options, models=models)
        model = build_expression_model(config.expression_backend, config.expression_model_path)
        return VideoFrameAnalyzer(model, options)

    return VideoStream(config.stream, build)


def audio_stream(config: PipelineConfig, *, turns: bool = False) -> AudioStream:
    """The stream core for one audio track; with ``turns`` (an interview) and a turn model
    configured, the silences the end-of-turn model is due to judge come out as questions, for
    the live shell's turn thread (:mod:`webrtc.runtime.turn_worker`)."""
    wanted = turns and config.turn_model_path is not None
    watcher = TurnWatcher(None, config.stream.turn) if wanted else None
    return AudioStream(config.stream, lambda: AudioAnalyzer(config.stream.audio), watcher)


def audio_frames(config: PipelineConfig) -> AudioFrames:
    """The stream core for one audio track, fed decoded frames (recorded files, the floor)."""
    return AudioFrames(audio_stream(config), config.stream.audio_batch_ms)
