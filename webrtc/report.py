"""The end-of-session report: the whole-session summary (the live ``summary`` message's fields,
over the whole session), downsampled timelines, and data quality. Built the same way for a live
session and for a recorded file."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from analyzers.audio_summary import AudioSummary
from analyzers.timeline import AudioPoint, VideoPoint, audio_timeline, bin_seconds, video_timeline
from analyzers.video_summary import VideoSummary
from webrtc.protocol import PROTOCOL_VERSION
from webrtc.results import Summary


@dataclass(frozen=True)
class Quality:
    frames_received: int
    frames_analysed: int
    frames_skipped: int
    eye_passes: int
    face_visible_ratio: float | None
    audio_seconds: float
    audio_frames_dropped: int
    messages_dropped: int
    analysis_errors: int


@dataclass(frozen=True)
class VideoFinal:
    summary: VideoSummary
    points: Sequence[VideoPoint]


@dataclass(frozen=True)
class AudioFinal:
    summary: AudioSummary
    points: Sequence[AudioPoint]
    seconds: float


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
) -> dict[str, Any]:
    video_points = video.points if video else []
    audio_points = audio.points if audio else []
    duration = max([p.t for p in video_points] + [p.t + 0.2 for p in audio_points] + [0.0])
    width = bin_seconds(duration)
    bins = max(1, math.ceil(duration / width))
    summary = Summary.from_results(
        session_id, duration, video.summary if video else None, audio.summary if audio else None
    ).fields()
    timeline: dict[str, Any] = {
        "bin_seconds": width,
        "t": [round(i * width, 3) for i in range(bins)],
    }
    if video is not None:
        timeline.update(video_timeline(video_points, width, bins))
    if audio is not None:
        timeline.update(audio_timeline(audio_points, width, bins))
    return {
        "v": PROTOCOL_VERSION,
        "session_id": session_id,
        "source": source,
        "created_at": created_at,
        "started_at": started_at,
        "ended_at": ended_at,
        "end_reason": end_reason,
        "duration": round(duration, 3),
        "summary": summary,
        "timeline": timeline,
        "quality": asdict(quality),
    }
