"""The end-of-session report as data: a typed :class:`Report` built from the stream core's
finals (:mod:`analyzers.session.stream`), the same for a live session and a recorded file.

JSON (:meth:`Report.to_dict`) and the HTML page (``signaling/pages/report.py``) are two
renderings of it. The headline figures are ``SummaryFields`` (:mod:`analyzers.session.summary`),
the very fields of the live ``summary`` message, computed over the whole session; the timelines
are binned by :mod:`analyzers.session.timeline`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from typing import Annotated, Any

from analyzers.encoding import Digits, plain
from analyzers.interview.verdict import AnswerResult, InterviewReport
from analyzers.session.stream import AudioFinal, VideoFinal
from analyzers.session.summary import Pauses, SummaryFields
from analyzers.session.timeline import (
    AudioTimeline,
    VideoTimeline,
    audio_timeline,
    bin_seconds,
    video_timeline,
)
from analyzers.voice.summary import TURN_GAP
from analyzers.words.language import Utterance, Word, summarise

REPORT_VERSION = 1
"""The report's ``v``: it moves with the data-channel protocol's version."""


@dataclass(frozen=True)
class Quality:
    """How much of the media was analysed, and what was lost on the way."""

    frames_received: int = 0
    frames_analysed: int = 0
    frames_skipped: int = 0
    eye_passes: int = 0
    face_visible_ratio: float | None = None
    audio_seconds: float = 0.0
    audio_frames_dropped: int = 0
    messages_dropped: int = 0
    analysis_errors: int = 0
    transcript_seconds_missing: float = 0.0
    """Seconds of speech with no transcript (recognition fell too far behind, or failed)."""


def utterance_dict(utterance: Utterance) -> dict[str, Any]:
    """An utterance as the ``transcript`` message and the report give it."""
    return {
        "start": utterance.start,
        "end": utterance.end,
        "text": utterance.text,
        "language": utterance.language,
        "other_voice": utterance.other_voice,
        "words": [
            {
                "word": w.word,
                "start": w.start,
                "end": w.end,
                "probability": round(w.probability, 3),
                "filler": w.filler,
                "hedge": w.hedge,
            }
            for w in utterance.words
        ],
    }


def utterance_from_dict(data: dict[str, Any]) -> Utterance:
    return Utterance(
        start=data["start"],
        end=data["end"],
        text=data["text"],
        language=data["language"],
        words=tuple(Word(**w) for w in data["words"]),
        other_voice=bool(data.get("other_voice", False)),
    )


@dataclass(frozen=True)
class Timeline:
    """The session in ``bin_seconds`` bins starting at ``t``; a track's series are there only
    when the session had that track."""

    bin_seconds: float
    t: list[float]
    video: VideoTimeline | None = None
    audio: AudioTimeline | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"bin_seconds": self.bin_seconds, "t": self.t}
        for part in (self.video, self.audio):
            if part is not None:
                out.update(asdict(part))
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Timeline:
        def part(kind: type[VideoTimeline] | type[AudioTimeline]) -> Any:
            # Series added later have defaults: a report stored before them still reads.
            required = [f.name for f in fields(kind) if f.default_factory is MISSING]
            if not all(name in data for name in required):
                return None
            return kind(**{f.name: data[f.name] for f in fields(kind) if f.name in data})

        return cls(data["bin_seconds"], data["t"], part(VideoTimeline), part(AudioTimeline))


@dataclass(frozen=True)
class VoicesHeard:
    """A recording in which two voices were heard (:func:`analyzers.voice.speakers.voices`):
    which is the person's, and how much each said."""

    count: int
    candidate: str
    """How the person's voice was chosen: ``most`` (the voice heard most) or ``least``."""
    candidate_share: Annotated[float, Digits(3)]
    """The person's share of the seconds of speech."""
    similarity: Annotated[float, Digits(3)]
    """Cosine between the two voices' centres (below 0.75: two voices)."""


@dataclass(frozen=True)
class NudgeRecord:
    """A cue the live coach gave: when (session seconds), which, and its words."""

    t: Annotated[float, Digits(2)]
    kind: str
    text: str


@dataclass(frozen=True)
class Report:
    session_id: str
    source: str
    """``live`` (a WebRTC session) or ``upload`` (a recorded file)."""
    created_at: float
    started_at: float | None
    ended_at: float
    end_reason: str
    duration: float
    """Seconds of media: to the end of the last analysed frame or audio window."""
    summary: SummaryFields
    timeline: Timeline
    quality: Quality
    transcript: tuple[Utterance, ...] | None = None
    """What was said, when transcripts are on (``None``: they were off)."""
    recording: dict[str, Any] | None = None
    """The session's recording (``webrtc/peer/recorder.py``), when it was recorded."""
    interview: InterviewReport | None = None
    """Each question's answer and the verdict, when the session was an interview."""
    nudges: tuple[NudgeRecord, ...] = ()
    """What the live coach said, in order (none for a recorded file)."""
    voices: VoicesHeard | None = None
    """Set when a recording held two voices: the transcript's figures are the person's alone,
    the voice figures (talk ratio, pauses, pitch, loudness) mix both."""
    language: str = "en"
    """The spoken language (``en``, ``cmn``…): pace is words a minute in English and
    characters a minute in Mandarin."""
    v: int = field(default=REPORT_VERSION)

    def to_dict(self) -> dict[str, Any]:
        """The report's JSON (the keys in the order the API has always given them)."""
        return {
            "v": self.v,
            "session_id": self.session_id,
            "source": self.source,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "end_reason": self.end_reason,
            "duration": self.duration,
            "summary": self.summary.to_dict(),
            "timeline": self.timeline.to_dict(),
            "quality": asdict(self.quality),
            "transcript": None
            if self.transcript is None
            else [utterance_dict(u) for u in self.transcript],
            "recording": self.recording,
            "interview": None if self.interview is None else self.interview.to_dict(),
            "nudges": [plain(n) for n in self.nudges],
            "language": self.language,
            "voices": None if self.voices is None else plain(self.voices),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        """A report read back from the store (unknown keys are ignored, for later additions)."""
        quality_names = {f.name for f in fields(Quality)}
        return cls(
            session_id=data["session_id"],
            source=data["source"],
            created_at=data["created_at"],
            started_at=data.get("started_at"),
            ended_at=data["ended_at"],
            end_reason=data["end_reason"],
            duration=data["duration"],
            summary=SummaryFields.from_dict(data["summary"]),
            timeline=Timeline.from_dict(data["timeline"]),
            quality=Quality(**{k: v for k, v in data["quality"].items() if k in quality_names}),
            transcript=None
            if data.get("transcript") is None
            else tuple(utterance_from_dict(u) for u in data["transcript"]),
            recording=data.get("recording"),
            interview=None
            if data.get("interview") is None
            else InterviewReport.from_dict(data["interview"]),
            nudges=tuple(NudgeRecord(**n) for n in data.get("nudges") or ()),
            language=data.get("language") or "en",
            voices=None if data.get("voices") is None else VoicesHeard(**data["voices"]),
            v=data.get("v", REPORT_VERSION),
        )


def answers_only(
    summary: SummaryFields, audio: AudioFinal | None, interview: Sequence[AnswerResult] | None
) -> SummaryFields:
    """In an interview, pauses are those inside the answers: the silences between questions
    (the interviewer speaking, the time to think) are not the person's pauses."""
    if audio is None or interview is None or summary.pauses is None:
        return summary
    spans = [(a.started_at, a.ended_at) for a in interview
             if a.started_at is not None and a.ended_at is not None]  # fmt: skip
    inside = [p for p in audio.pauses
              if any(start <= p.t and p.t + p.duration <= end for start, end in spans)]  # fmt: skip
    mean = sum(p.duration for p in inside) / len(inside) if inside else None
    return replace(summary, pauses=Pauses(len(inside), mean))


def build_report(
    session_id: str,
    *,
    source: str,
    created_at: float,
    started_at: float | None,
    ended_at: float,
    end_reason: str,
    video: VideoFinal | None,
    audio: AudioFinal | None,
    quality: Quality,
    transcript: list[Utterance] | None = None,
    language: str = "en",
    turn_gap: float = TURN_GAP,
    max_points: int = 300,
    recording: dict[str, Any] | None = None,
    interview: Sequence[AnswerResult] | None = None,
    nudges: Sequence[NudgeRecord] = (),
    voices: VoicesHeard | None = None,
) -> Report:
    """The report of a session whose streams gave ``video`` and ``audio``, and, when
    transcripts were on, what was said (and its ``recording``, when it was recorded)."""
    duration = max(video.end if video else 0.0, audio.end if audio else 0.0)
    width = bin_seconds(duration, max_points)
    bins = max(1, math.ceil(duration / width))
    return Report(
        session_id=session_id,
        source=source,
        created_at=created_at,
        started_at=started_at,
        ended_at=ended_at,
        end_reason=end_reason,
        duration=round(duration, 3),
        summary=answers_only(
            SummaryFields.of(
                video.summary if video else None,
                audio.summary if audio else None,
                None
                if transcript is None
                else summarise([u for u in transcript if not u.other_voice], language, turn_gap),
            ),
            audio,
            interview,
        ),
        timeline=Timeline(
            bin_seconds=width,
            t=[round(i * width, 3) for i in range(bins)],
            video=video_timeline(
                video.points,
                width,
                bins,
                video.postures,
                [b.t + b.duration / 2 for b in video.blinks],
            )
            if video
            else None,
            audio=audio_timeline(audio.points, width, bins) if audio else None,
        ),
        quality=quality,
        transcript=None if transcript is None else tuple(transcript),
        recording=recording,
        interview=None if interview is None else InterviewReport.of(interview),
        nudges=tuple(nudges),
        language=language,
        voices=voices,
    )
