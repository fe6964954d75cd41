"""One vocabulary for a session's life: its states and its counters, used alike by the live
session, the stored record, ``/metrics`` and the report."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any

from analyzers.session.report import Quality


class SessionState(StrEnum):
    """``created`` → ``connecting`` → ``active`` → ``ending`` → ``ended``; a created session
    whose offer never came is ``expired``. Serialised as its value."""

    CREATED = "created"
    CONNECTING = "connecting"
    ACTIVE = "active"
    ENDING = "ending"
    ENDED = "ended"
    EXPIRED = "expired"

    @property
    def live(self) -> bool:
        """A peer connection exists or is being set up for it."""
        return self in (SessionState.CONNECTING, SessionState.ACTIVE, SessionState.ENDING)


@dataclass(frozen=True)
class SessionCounters:
    """What a session received, analysed and lost. A recorded file has the same counters, with
    the messages and tracks left at zero."""

    frames_received: int = 0
    frames_analysed: int = 0
    frames_skipped: int = 0
    eye_passes: int = 0
    audio_seconds: float = 0.0
    audio_frames_dropped: int = 0
    messages_sent: int = 0
    messages_dropped: int = 0
    protocol_errors: int = 0
    analysis_errors: int = 0
    extra_tracks: int = 0
    audio_packets: int = 0
    video_packets: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionCounters:
        """Counters read back from the store; keys it does not know are left out."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def quality(self, face_visible_ratio: float | None) -> Quality:
        """The report's data-quality block."""
        return Quality(
            frames_received=self.frames_received,
            frames_analysed=self.frames_analysed,
            frames_skipped=self.frames_skipped,
            eye_passes=self.eye_passes,
            face_visible_ratio=face_visible_ratio,
            audio_seconds=self.audio_seconds,
            audio_frames_dropped=self.audio_frames_dropped,
            messages_dropped=self.messages_dropped,
            analysis_errors=self.analysis_errors,
        )


@dataclass(frozen=True)
class SessionSnapshot:
    """A live session as the rest of the server sees it at one moment (what its hooks are
    handed: never the session itself)."""

    id: str
    state: SessionState
    started_at: float | None
    ended_at: float | None
    close_reason: str | None
    counters: SessionCounters


def new_session_id() -> str:
    """A session's id: 32 random hex digits."""
    return uuid.uuid4().hex
