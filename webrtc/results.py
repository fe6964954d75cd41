"""Analysis results as data-channel messages: per frame, per window, speech events, blinks,
and the rolling summary (whose fields the end-of-session report reuses)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from analyzers.session.report import utterance_dict
from analyzers.session.summary import SummaryFields
from analyzers.video.blinks import Blink as BlinkResult
from analyzers.video.frame import VideoFrameResult
from analyzers.video.framing import SetupResult
from analyzers.video.gaze import Calibration
from analyzers.video.posture import Posture as PostureResult
from analyzers.video.summary import VideoSummary
from analyzers.voice.speech_events import SpeechStarted as SpeechStartedResult
from analyzers.voice.speech_events import SpeechStopped as SpeechStoppedResult
from analyzers.voice.summary import AudioSummary
from analyzers.voice.windows import AudioWindowResult
from analyzers.words.language import LanguageSummary, Utterance
from locales import N_, Translator
from webrtc.protocol import ServerMessage


def _rounded(values: dict[str, float], digits: int) -> dict[str, float]:
    return {k: round(v, digits) for k, v in values.items()}


@dataclass(frozen=True)
class VideoFrameMessage(ServerMessage):
    type: ClassVar[str] = "video.frame"
    face: bool
    faces: int
    width: int
    height: int
    received_at: float
    analysis_ms: float
    frames_skipped: int
    head_pose: dict[str, float] | None = None
    gaze: dict[str, float | str | None] | None = None
    eye_contact: bool | None = None
    eyes: dict[str, float] | None = None
    expression: dict[str, Any] | None = None
    framing: dict[str, Any] | None = None
    sent_at: float = field(default=0.0)

    @classmethod
    def from_result(
        cls,
        session_id: str,
        result: VideoFrameResult,
        *,
        received_at: float,
        analysis_ms: float,
        frames_skipped: int,
    ) -> VideoFrameMessage:
        pose, gaze, eyes, expression = (
            result.head_pose,
            result.gaze,
            result.eyes,
            result.expression,
        )
        return cls(
            session_id=session_id,
            t=round(result.t, 3),
            face=result.face,
            faces=result.faces,
            width=result.width,
            height=result.height,
            received_at=received_at,
            analysis_ms=analysis_ms,
            frames_skipped=frames_skipped,
            head_pose=None
            if pose is None
            else _rounded(
                {
                    "yaw": pose.yaw,
                    "pitch": pose.pitch,
                    "roll": pose.roll,
                    "camera_pitch": result.camera_pitch or 0.0,
                },
                1,
            ),
            gaze=None
            if gaze is None
            else {
                **_rounded({"horizontal": gaze.horizontal, "vertical": gaze.vertical}, 3),
                **_rounded({"yaw": gaze.yaw, "pitch": gaze.pitch}, 1),
                "baseline": None if result.baseline is None else result.baseline.source,
            },
            eye_contact=None if gaze is None else gaze.eye_contact,
            eyes=None
            if eyes is None
            else _rounded({"ear_right": eyes.ear_right, "ear_left": eyes.ear_left}, 3),
            expression=None
            if expression is None
            else {
                "label": expression.label,
                "scores": expression.scores,
            },
            framing=None if result.framing is None else result.framing.to_dict(),
        )


@dataclass(frozen=True)
class PostureMessage(ServerMessage):
    """A posture sample (every ``LENS_POSTURE_INTERVAL`` seconds of video, measured after the
    frame's own result; ``t`` is that frame's)."""

    type: ClassVar[str] = "posture"
    shoulder_tilt: float
    lean: float
    head_height: float
    slumped: bool | None
    distance: float | None
    hand_over_face: bool
    gesturing: bool

    @classmethod
    def from_result(cls, session_id: str, posture: PostureResult) -> PostureMessage:
        return cls(session_id=session_id, t=round(posture.t, 3), **posture.to_dict())


@dataclass(frozen=True)
class Setup(ServerMessage):
    """The setup check: sent once after the first seconds of video, and again when the client
    asks with ``{"type": "setup"}``."""

    type: ClassVar[str] = "setup"
    ok: bool
    advice: list[dict[str, str]]
    frames: int
    framing: dict[str, Any] | None

    @classmethod
    def from_result(cls, session_id: str, result: SetupResult) -> Setup:
        return cls(
            session_id=session_id,
            t=round(result.t, 3),
            ok=result.ok,
            advice=result.advice(),
            frames=result.frames,
            framing=None if result.framing is None else result.framing.to_dict(),
        )

    def in_words(self, words: Translator) -> Setup:
        advice = [{**item, "text": words(item["text"])} for item in self.advice]
        return replace(self, advice=advice)


@dataclass(frozen=True)
class CalibrationMessage(ServerMessage):
    """How a calibration asked for with ``{"type": "calibrate"}`` ended: ``ok`` with the
    ``baseline`` eye contact and head pitch are now judged against, or the ``reason`` it did
    not take (``no_face``, ``too_far``, ``unsteady``) and the words to show."""

    type: ClassVar[str] = "calibration"
    ok: bool
    frames: int
    baseline: dict[str, Any] | None
    reason: str | None
    text: str

    @classmethod
    def from_result(cls, session_id: str, result: Calibration) -> CalibrationMessage:
        return cls(
            session_id=session_id,
            t=round(result.t, 3),
            ok=result.ok,
            frames=result.frames,
            baseline=None if result.baseline is None else result.baseline.to_dict(),
            reason=result.reason,
            text=CALIBRATION_TEXT[result.reason or "ok"],
        )

    def in_words(self, words: Translator) -> CalibrationMessage:
        return replace(self, text=words(self.text))


CALIBRATION_TEXT = {
    "ok": N_("Got it: eye contact now means looking where you just looked."),
    "no_face": N_("Your face was not in view long enough. Face the camera and try again."),
    "too_far": N_(
        "That was too far from the camera. Look at the interviewer's picture or the "
        "camera itself and try again."
    ),
    "unsteady": N_(
        "Your eyes were moving. Rest them on the interviewer's picture for two seconds "
        "and try again."
    ),
}


@dataclass(frozen=True)
class Blink(ServerMessage):
    type: ClassVar[str] = "blink"
    duration: float

    @classmethod
    def from_result(cls, session_id: str, blink: BlinkResult) -> Blink:
        return cls(session_id, round(blink.t, 3), round(blink.duration, 3))


@dataclass(frozen=True)
class Summary(SummaryFields, ServerMessage):
    """Rolling summary; ``t`` is session time. The fields are the report's summary fields."""

    type: ClassVar[str] = "summary"
    # The message's JSON has the envelope; the fields' own to_dict (the report's) has not.
    to_dict = ServerMessage.to_dict

    @classmethod
    def from_results(
        cls,
        session_id: str,
        t: float,
        video: VideoSummary | None,
        audio: AudioSummary | None,
        language: LanguageSummary | None = None,
    ) -> Summary:
        return cls(session_id, t, **SummaryFields.values(video, audio, language))


@dataclass(frozen=True)
class Transcript(ServerMessage):
    """What was said in one utterance; ``t`` is its start (media seconds)."""

    type: ClassVar[str] = "transcript"
    final: bool
    start: float
    end: float
    text: str
    language: str
    words: list[dict[str, Any]]

    @classmethod
    def of(cls, session_id: str, utterance: Utterance, *, final: bool = True) -> Transcript:
        body = utterance_dict(utterance)
        del body["other_voice"]  # a live session's voices are told apart at its report
        return cls(session_id, utterance.start, final=final, **body)


def _maybe(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True)
class AudioWindow(ServerMessage):
    type: ClassVar[str] = "audio.window"
    duration: float
    speech: bool
    voiced_fraction: float
    rms_dbfs: float
    received_at: float
    pitch_hz: float | None = None
    spectral_centroid_hz: float | None = None
    spectral_flatness: float | None = None
    sent_at: float = field(default=0.0)

    @classmethod
    def from_result(
        cls, session_id: str, result: AudioWindowResult, *, received_at: float
    ) -> AudioWindow:
        return cls(
            session_id=session_id,
            t=round(result.t, 3),
            duration=round(result.duration, 3),
            speech=result.speech,
            voiced_fraction=round(result.voiced_fraction, 3),
            rms_dbfs=round(result.rms_dbfs, 2),
            received_at=received_at,
            pitch_hz=_maybe(result.pitch_hz, 1),
            spectral_centroid_hz=_maybe(result.spectral_centroid_hz, 0),
            spectral_flatness=_maybe(result.spectral_flatness, 4),
        )


@dataclass(frozen=True)
class SpeechStarted(ServerMessage):
    type: ClassVar[str] = "speech.started"
    received_at: float
    sent_at: float = field(default=0.0)


@dataclass(frozen=True)
class SpeechStopped(ServerMessage):
    type: ClassVar[str] = "speech.stopped"
    duration: float
    received_at: float
    sent_at: float = field(default=0.0)


def audio_message(session_id: str, output: object, *, received_at: float) -> ServerMessage | None:
    """The message for one audio analysis output (pauses only feed the summary, the end-of-turn
    model's judgements only the interview)."""
    if isinstance(output, AudioWindowResult):
        return AudioWindow.from_result(session_id, output, received_at=received_at)
    if isinstance(output, SpeechStartedResult):
        return SpeechStarted(session_id, round(output.t, 3), received_at=received_at)
    if isinstance(output, SpeechStoppedResult):
        return SpeechStopped(
            session_id, round(output.t, 3), round(output.duration, 3), received_at=received_at
        )
    return None
