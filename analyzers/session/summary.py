"""The figures of a summary, typed: over the last ``window`` seconds in the live ``summary``
message, over the whole session in the report.

One definition per figure: each section is the analyzer's own result type where it has one
(``PitchStats``, ``Arousal``, ``LanguageSummary``, ``FramingSummary``, ``PostureSummary``).
Values keep full precision; the digits each figure is written with are declared in its type
(``Annotated[float, Digits(3)]``) and applied by :func:`analyzers.encoding.plain` when the
summary is encoded.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Annotated, Any, Literal, TypeVar

from analyzers.encoding import Digits, plain
from analyzers.video.posture import PostureSummary
from analyzers.video.summary import FramingSummary, VideoSummary
from analyzers.voice.summary import Arousal, AudioSummary, PitchStats
from analyzers.words.language import LanguageSummary

T = TypeVar("T")


@dataclass(frozen=True)
class Expression:
    distribution: Annotated[dict[str, float], Digits(3)]
    """Share of frames with a face showing each (smoothed) expression."""
    dominant: str | None = None


@dataclass(frozen=True)
class Pauses:
    count: int = 0
    mean_s: Annotated[float | None, Digits(3)] = None


@dataclass(frozen=True)
class Loudness:
    mean_dbfs: Annotated[float | None, Digits(2)] = None
    std_db: Annotated[float | None, Digits(2)] = None


@dataclass(frozen=True)
class SpeechRate:
    """Speech rate over the person's turns: counted from the words when there is a transcript
    (``wpm_from="words"``), else estimated from syllables."""

    wpm: Annotated[float | None, Digits(1)] = None
    wpm_from: Literal["syllables", "words"] = "syllables"
    articulation_rate: Annotated[float | None, Digits(2)] = None
    """Syllables per second of speaking time."""
    syllables_per_s: Annotated[float | None, Digits(2)] = None
    """The same as ``articulation_rate`` (an older name, kept on the wire)."""
    turn_seconds: Annotated[float | None, Digits(2)] = None


@dataclass(frozen=True, kw_only=True)
class SummaryFields:
    """Fields of a track the session did not have are ``None``."""

    window: Annotated[float | None, Digits(3)] = None
    face_visible_ratio: Annotated[float | None, Digits(3)] = None
    eye_contact_ratio: Annotated[float | None, Digits(3)] = None
    head_stability: Annotated[float | None, Digits(3)] = None
    blinks_per_min: Annotated[float | None, Digits(1)] = None
    blinks_not_measured: str | None = None
    """Why there is no blink rate: ``face_too_small``, ``eyes_lowered``, ``eyes_unsteady`` or
    ``too_short`` (``analyzers/video/blinks.py``)."""
    expression: Expression | None = None
    audio_window: Annotated[float | None, Digits(3)] = None
    talk_ratio: Annotated[float | None, Digits(3)] = None
    pauses: Pauses | None = None
    pitch: PitchStats | None = None
    loudness: Loudness | None = None
    speaking_rate: SpeechRate | None = None
    arousal: Arousal | None = None
    language: LanguageSummary | None = None
    """From the transcript: words, fillers, hedges, repetitions, the longest monologue."""
    framing: FramingSummary | None = None
    """Share of frames with each framing or lighting issue, mean face and background
    brightness and face height (``analyzers/video/framing.py``)."""
    posture: PostureSummary | None = None
    """Shoulder tilt, lean, time slumped, hand over the face, gesturing
    (``analyzers/video/posture.py``)."""

    @classmethod
    def of(
        cls,
        video: VideoSummary | None,
        audio: AudioSummary | None,
        language: LanguageSummary | None = None,
    ) -> SummaryFields:
        return cls(**cls.values(video, audio, language))

    @staticmethod
    def values(
        video: VideoSummary | None,
        audio: AudioSummary | None,
        language: LanguageSummary | None = None,
    ) -> dict[str, Any]:
        """The fields as keyword arguments (for the message, which adds its envelope)."""
        values: dict[str, Any] = {}
        if video is not None:
            expression = None
            if video.expression_distribution is not None:
                expression = Expression(video.expression_distribution, video.dominant_expression)
            values.update(
                window=video.window,
                face_visible_ratio=video.face_visible_ratio,
                eye_contact_ratio=video.eye_contact_ratio,
                head_stability=video.head_stability,
                blinks_per_min=video.blinks_per_min,
                blinks_not_measured=video.blinks_not_measured,
                expression=expression,
                framing=video.framing,
                posture=video.posture,
            )
        if audio is not None:
            rate = audio.speaking_rate
            values.update(
                audio_window=audio.window,
                talk_ratio=audio.talk_ratio,
                pauses=Pauses(audio.pause_count, audio.pause_mean_s),
                pitch=audio.pitch,
                loudness=Loudness(audio.loudness_mean_dbfs, audio.loudness_std_db),
                speaking_rate=None
                if rate is None
                else SpeechRate(
                    wpm=rate.wpm,
                    articulation_rate=rate.articulation_rate,
                    syllables_per_s=rate.articulation_rate,
                    turn_seconds=rate.turn_seconds,
                ),
                arousal=audio.arousal,
            )
        if language is not None:
            values["language"] = language
            rate = values.get("speaking_rate")
            if language.words_per_min is not None and isinstance(rate, SpeechRate):
                # One speech rate: counted from the words when there is a transcript.
                values["speaking_rate"] = SpeechRate(
                    wpm=language.words_per_min,
                    wpm_from="words",
                    articulation_rate=rate.articulation_rate,
                    syllables_per_s=rate.syllables_per_s,
                    turn_seconds=language.turn_seconds,
                )
        return values

    def to_dict(self) -> dict[str, Any]:
        """The summary's JSON, rounded as each figure declares."""
        figures: dict[str, Any] = plain(self)
        return figures

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SummaryFields:
        """A summary read back from JSON (unknown keys are ignored, missing ones are ``None``:
        reports stored before a figure existed still read)."""
        sections: dict[str, type[Any]] = {
            "expression": Expression,
            "pauses": Pauses,
            "pitch": PitchStats,
            "loudness": Loudness,
            "speaking_rate": SpeechRate,
            "arousal": Arousal,
            "language": LanguageSummary,
            "framing": FramingSummary,
            "posture": PostureSummary,
        }
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = data.get(f.name)
            kind = sections.get(f.name)
            values[f.name] = value if kind is None or value is None else section(kind, value)
        return cls(**values)


def section(kind: type[T], data: dict[str, Any]) -> T:
    """A section from its JSON: known keys only, missing ones ``None``, pairs as tuples."""
    values: dict[str, Any] = {}
    for f in fields(kind):  # type: ignore[arg-type]
        value = data.get(f.name)
        if isinstance(value, list):
            value = [tuple(v) if isinstance(v, list) else v for v in value]
        values[f.name] = value
    return kind(**values)
