"""The stream core: how one camera or microphone stream is analysed, the same for every path.

Live sessions, recorded files, the floor benchmark and the naive baseline server all analyse a
stream through :class:`VideoStream` and :class:`AudioStream`, so an analyzer added here appears in
all of them. The core owns what happens between "a frame at media time ``t``" and "typed results":

- video: the sampling grid (full analysis, the cheap eye pass, or skip), the summary gate, the
  session-long timeline points and the frame counters;
- audio: batching samples into pushes, the summary gate, the timeline points.

It is synchronous and knows nothing of asyncio, aiortc or PyAV: a caller that holds decoded
frames hands over a :class:`FrameImage` (which converts only when asked, so skipped frames cost
nothing) or mono float32 samples at :data:`~analyzers.AUDIO_RATE`. The live shell
(``webrtc/runtime/pipeline.py``) calls :meth:`VideoStream.sample` on its event loop (cheap) and
:meth:`VideoStream.analyse` on an analysis thread; the other paths call :meth:`VideoStream.feed`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

import cv2
import numpy as np

from analyzers import AUDIO_RATE
from analyzers.session.timeline import AudioPoint, VideoPoint
from analyzers.video.blinks import Blink
from analyzers.video.frame import VideoAnalysisOptions, VideoFrameAnalyzer, VideoFrameResult
from analyzers.video.framing import SetupCheck, SetupResult
from analyzers.video.posture import Posture, shared_pose_model
from analyzers.video.sampling import VideoSampler
from analyzers.video.summary import VideoSummary
from analyzers.voice.speech_events import Pause
from analyzers.voice.summary import AudioSummary
from analyzers.voice.turn import TurnParams, TurnPrediction, TurnQuestion, TurnWatcher
from analyzers.voice.windows import (
    AudioAnalysisOptions,
    AudioAnalyzer,
    AudioOutput,
    AudioWindowResult,
    follows,
)
from analyzers.words.language import language_family
from analyzers.words.recognition import SpeechClip
from analyzers.words.utterances import ClipCutter

Step = Literal["full", "eyes"]


JOIN_SHORT = 2.0
"""Seconds of silence a Mandarin utterance with under a second of speech waits for more
(``ClipCutter.join``): a lone syllable before a comma is heard with what follows it."""


@dataclass(frozen=True)
class StreamParams:
    """What the core decides per stream; each analyzer's own parameters sit in its options."""

    video_fps: float = 5.0
    """Frames fully analysed per second of media, at most (lowered under load by the caller)."""
    blink_fps: float = 15.0
    """Rate of the cheap eye pass between full analyses (0 = off): blinks last 100-400 ms."""
    audio_batch_ms: int = 100
    """Audio goes through the chain in pushes this long (the chain is vectorised per push)."""
    turn: TurnParams = field(default_factory=TurnParams)
    """When the end-of-turn model is asked (interviews), and what it must say."""
    summary_interval: float = 2.0
    """Seconds between rolling summaries sent; they are worked out at most twice as often."""
    transcript: bool = True
    """Cut each utterance's audio (:class:`~analyzers.words.recognition.SpeechClip`) for speech
    recognition."""
    max_utterance: float = 25.0
    """A monologue longer than this is cut into clips of at most this many seconds."""
    partial_every: float = 2.0
    """While an utterance goes on, its audio so far every this many seconds, for a partial
    transcript (0: none); the live server transcribes it only when recognition is idle."""
    posture_interval: float = 2.0
    """Seconds of media between posture samples (0: none), longer in proportion when load
    lowers the full-analysis rate. Posture changes slowly, and a sample (MediaPipe Pose) costs
    ~2.7 face analyses."""
    posture_hands: bool = True
    """Each posture sample also runs MediaPipe Hands (hand over face, chin in hand): Pose's own
    hand points hardly appear against a face. ~12 ms more per sample."""
    video: VideoAnalysisOptions = field(default_factory=VideoAnalysisOptions)
    audio: AudioAnalysisOptions = field(default_factory=AudioAnalysisOptions)


class FrameImage(Protocol):
    """One decoded video frame, converted for analysis only when asked."""

    def rgb(self) -> np.ndarray:
        """``HxWx3 uint8`` RGB, scaled for analysis."""
        ...

    def gray(self) -> np.ndarray:
        """``HxW uint8`` luma, at the same scale as :meth:`rgb`."""
        ...


class RgbImage:
    """An RGB array already decoded (a photo, a JPEG) as a :class:`FrameImage`."""

    def __init__(self, rgb: np.ndarray) -> None:
        self._rgb = rgb

    def rgb(self) -> np.ndarray:
        return self._rgb

    def gray(self) -> np.ndarray:
        return np.asarray(cv2.cvtColor(self._rgb, cv2.COLOR_RGB2GRAY))


class Every:
    """True at most once per ``seconds`` of media time, and on the first call.

    Gates the rolling summaries: they are sent every ``summary_interval`` seconds, so working
    one out after every analysed frame or window would mostly be thrown away. At half the
    interval, the summary sent is at most half an interval older than the newest result."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last: float | None = None

    def __call__(self, t: float) -> bool:
        if self._last is not None and abs(t - self._last) < self.seconds:
            return False
        self._last = t
        return True


@dataclass(frozen=True)
class VideoOutput:
    """What one analysed frame gave: ``result`` for a full pass, ``blink`` if one ended,
    ``summary`` when the gate let one through, ``setup`` when the setup check was due.

    ``pose_due`` is the frame (RGB) when a posture sample is due: its pose landmarks go to
    :meth:`VideoStream.add_posture`, which :meth:`VideoStream.feed` does at once and the live
    shell after the frame's result is out (``posture`` is then what came of it)."""

    t: float
    result: VideoFrameResult | None = None
    blink: Blink | None = None
    summary: VideoSummary | None = None
    setup: SetupResult | None = None
    pose_due: np.ndarray | None = None
    posture: Posture | None = None


@dataclass(frozen=True)
class VideoFinal:
    """The whole-session summary and every fully analysed frame, for the report."""

    summary: VideoSummary
    points: Sequence[VideoPoint]
    postures: Sequence[Posture] = ()
    blinks: Sequence[Blink] = ()

    @property
    def end(self) -> float:
        return self.points[-1].t if self.points else 0.0


class VideoStream:
    """One video stream: which frames to analyse, the analysis, summaries and points.

    ``analyzer`` builds the stream's :class:`VideoFrameAnalyzer` on first need (it may load
    models; a live session builds it off the shared threads with :meth:`prepare`)."""

    def __init__(self, params: StreamParams, analyzer: Callable[[], VideoFrameAnalyzer]) -> None:
        self.params = params
        self._build = analyzer
        self._analyzer: VideoFrameAnalyzer | None = None
        self._sampler = VideoSampler(params.video_fps, params.blink_fps)
        self._summarise = Every(params.summary_interval / 2)
        self._setup = SetupCheck()
        self._calibrate = False
        self._pose = Every(params.posture_interval) if params.posture_interval > 0 else None
        self.points: list[VideoPoint] = []
        self.postures: list[Posture] = []
        self.blinks: list[Blink] = []
        self.frames_offered = 0
        self.frames_analysed = 0
        self.eye_passes = 0

    @property
    def frames_skipped(self) -> int:
        """Frames offered to :meth:`sample` that fell outside the sampling grid."""
        return self.frames_offered - self.frames_analysed - self.eye_passes

    def prepare(self) -> VideoFrameAnalyzer:
        if self._analyzer is None:
            self._analyzer = self._build()
        return self._analyzer

    def set_full_fps(self, fps: float) -> None:
        """The full-analysis rate, when load changes it; the eye pass keeps its own, and
        posture samples are spaced out in the same proportion."""
        self._sampler.set_full_fps(fps)
        if self._pose is not None:
            slower = max(1.0, self.params.video_fps / fps)
            self._pose.seconds = self.params.posture_interval * slower

    def request_setup(self) -> None:
        """Check the setup again over the next analysed frame's last seconds (the client asked)."""
        self._setup.request()

    def request_calibration(self) -> None:
        """The person is looking at the interviewer's picture from now on (the client asked
        them to): the next analysed frames become their gaze baseline; the result comes as
        the ``calibration`` of a later frame's result."""
        self._calibrate = True

    def sample(self, t: float) -> Step | None:
        """Whether the frame at ``t`` gets the full analysis, the eye pass or nothing. Cheap."""
        self.frames_offered += 1
        step = self._sampler.decide(t)
        return step if step in ("full", "eyes") else None  # type: ignore[return-value]

    def analyse(self, step: Step, t: float, image: FrameImage) -> VideoOutput:
        """Run ``step`` on the frame (the costly part)."""
        analyzer = self.prepare()
        if step == "eyes":
            self.eye_passes += 1
            blink = analyzer.update_eyes(image.gray(), t)
            self.blinks += [blink] if blink is not None else []
            return VideoOutput(t, blink=blink)
        rgb = image.rgb()
        if self._calibrate:
            self._calibrate = False
            analyzer.calibrate(t)
        result = analyzer.update(rgb, t)
        self.blinks += [result.blink] if result.blink is not None else []
        self.frames_analysed += 1
        self.points.append(VideoPoint.of(result))
        summary = analyzer.summary(t) if self._summarise(t) else None
        setup = self._setup.add(t, result.framing)
        # Posture is a person's: without a real face in the last seconds (a title, a drawing,
        # an empty chair) there is no posture sample, and the next one is not used up.
        due = analyzer.person_in_view and self._pose is not None and self._pose(t)
        pose_due = rgb if due else None
        return VideoOutput(
            t, result=result, blink=result.blink, summary=summary, setup=setup, pose_due=pose_due
        )

    def add_posture(self, t: float, points: np.ndarray | None) -> Posture | None:
        """The posture sample of the frame at ``t`` from its pose landmarks (``None``: no
        person found); ``None`` when the shoulders were not in view, or the stream is closed."""
        if self._analyzer is None:
            return None
        posture = self._analyzer.add_posture(t, points)
        if posture is not None:
            self.postures.append(posture)
        return posture

    def feed(self, t: float, image: FrameImage) -> VideoOutput | None:
        """:meth:`sample` and, for a frame that is due, :meth:`analyse`, with the posture
        sample when one is due."""
        step = self.sample(t)
        if step is None:
            return None
        output = self.analyse(step, t, image)
        if output.pose_due is None:
            return output
        model = shared_pose_model(hands=self.params.posture_hands)
        posture = self.add_posture(t, model.landmarks(output.pose_due))
        return replace(output, pose_due=None, posture=posture)

    def finish(self) -> VideoFinal | None:
        """The session's summary and points; ``None`` if no frame was ever analysed (a track
        that was negotiated but carried nothing makes no report)."""
        if self._analyzer is None or not self.points:
            return None
        return VideoFinal(
            self._analyzer.session_summary(),
            list(self.points),
            list(self.postures),
            list(self.blinks),
        )

    def close(self) -> None:
        if self._analyzer is not None:
            self._analyzer.close()
            self._analyzer = None


@dataclass(frozen=True)
class AudioStep:
    """What one push gave: every output in order, the summary if the gate let one through, the
    audio of each utterance that ended (when transcripts are on), and the ``partial`` audio of
    the one still going on when a partial transcript is due."""

    outputs: list[AudioOutput | TurnQuestion | TurnPrediction]
    summary: AudioSummary | None = None
    clips: list[SpeechClip] = field(default_factory=list)
    partial: SpeechClip | None = None

    def then(self, later: AudioStep) -> AudioStep:
        """This step followed by ``later``."""
        if not self.outputs and not self.clips and self.partial is None:
            return later
        return AudioStep(
            self.outputs + later.outputs,
            later.summary or self.summary,
            self.clips + later.clips,
            None if later.clips else later.partial or self.partial,
        )


NOTHING = AudioStep([])


@dataclass(frozen=True)
class AudioFinal:
    summary: AudioSummary
    points: Sequence[AudioPoint]
    window_seconds: float
    pauses: Sequence[Pause] = ()
    """Every pause of the session, when it began and how long it lasted."""

    @property
    def seconds(self) -> float:
        """Seconds of audio analysed."""
        return len(self.points) * self.window_seconds

    @property
    def end(self) -> float:
        """Media time at which the last analysed window ends."""
        return self.points[-1].t + self.window_seconds if self.points else 0.0


class AudioStream:
    """One audio stream: samples batched into pushes, the analysis, summaries and points.

    A chunk that does not follow the samples held (audio lost or dropped before it) ends the
    batch, so the analyzer sees the gap and re-dates what follows."""

    def __init__(
        self,
        params: StreamParams,
        analyzer: Callable[[], AudioAnalyzer],
        turns: TurnWatcher | None = None,
    ) -> None:
        self.params = params
        self._build = analyzer
        self.turns = turns
        """The end-of-turn model, asked during silences (interviews; ``None``: not asked)."""
        self._analyzer: AudioAnalyzer | None = None
        self._batch_samples = AUDIO_RATE * params.audio_batch_ms // 1000
        self._held: list[np.ndarray] = []
        self._held_samples = 0
        self._held_t = 0.0
        self._summarise = Every(params.summary_interval / 2)
        self.points: list[AudioPoint] = []
        self._clips: ClipCutter | None = None

    def prepare(self) -> AudioAnalyzer:
        if self._analyzer is None:
            self._analyzer = self._build()
            if self.turns is not None and self.turns.model is not None:
                self.turns.model.prepare()
            if self.params.transcript:
                # Utterances end at the pauses the analyzer counts.
                # In Mandarin a lone syllable before a comma waits for what follows it.
                options = self._analyzer.options
                gap = options.min_pause
                join = JOIN_SHORT if language_family(options.language) == "zh" else None
                self._clips = ClipCutter(self.params.max_utterance, gap, join)
        return self._analyzer

    @property
    def windows_analysed(self) -> int:
        return len(self.points)

    def feed(self, samples: np.ndarray, t: float) -> AudioStep:
        """Mono float32 samples at 16 kHz, the first at media time ``t``. Analysed once a
        batch's worth is held; the outputs come back in order."""
        if samples.size == 0:
            return NOTHING
        step = NOTHING
        if self._held and not follows(self._held_t, self._held_samples, t):
            step = self.flush()
        if not self._held:
            self._held_t = t
        self._held.append(samples.astype(np.float32, copy=False))
        self._held_samples += samples.size
        if self._held_samples < self._batch_samples:
            return step
        return step.then(self.flush())

    def flush(self) -> AudioStep:
        """Analyse whatever is held (the end of a file, or a gap)."""
        if not self._held:
            return NOTHING
        analyzer = self.prepare()
        samples = self._held[0] if len(self._held) == 1 else np.concatenate(self._held)
        self._held, self._held_samples = [], 0
        outputs: list[AudioOutput | TurnQuestion | TurnPrediction] = [
            *analyzer.push(samples, self._held_t)
        ]
        clips = self._clips.update(samples, self._held_t, outputs) if self._clips else []
        if self.turns is not None:
            outputs += self.turns.update(samples, self._held_t, outputs)
        windows = [o for o in outputs if isinstance(o, AudioWindowResult)]
        self.points.extend(AudioPoint.of(w) for w in windows)
        summary = analyzer.summary() if windows and self._summarise(windows[-1].t) else None
        every = self.params.partial_every
        partial = self._clips.partial(every) if self._clips and every > 0 else None
        return AudioStep(outputs, summary, clips, partial)

    def end(self) -> AudioStep:
        """The end of the stream: what is held analysed, and an utterance still open cut."""
        step = self.flush()
        if self._clips is None:
            return step
        return step.then(AudioStep([], clips=self._clips.close()))

    def finish(self) -> AudioFinal | None:
        """The session's summary and points; ``None`` if no window was ever analysed."""
        if self._analyzer is None or not self.points:
            return None
        return AudioFinal(
            self._analyzer.session_summary(),
            list(self.points),
            self._analyzer.window_samples / AUDIO_RATE,
            self._analyzer.session_pauses(),
        )

    def close(self) -> None:
        self._analyzer = None
        self._held, self._held_samples = [], 0
