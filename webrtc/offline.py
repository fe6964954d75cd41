"""Analysis of a recorded file: PyAV decodes it, the same sampler and analyzers as a live
session run on its frames, and the same report comes out."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av

from analyzers.sampling import VideoSampler
from webrtc.config import PipelineConfig
from webrtc.pipeline import (
    audio_pass,
    audio_resampler,
    build_audio_analyzer,
    build_video_analyzer,
    eye_pass,
    full_pass,
)
from webrtc.registry import new_session_id
from webrtc.report import AudioFinal, Quality, VideoFinal, build_report
from webrtc.tracks import MediaClock

Progress = Callable[[float, float | None], None]
"""Called with the media seconds done and the file's duration (``None`` if unknown)."""


class MediaError(ValueError):
    """The file cannot be analysed: not media PyAV can decode, no audio or video, too long."""


def analyze_file(
    path: Path,
    config: PipelineConfig,
    *,
    max_seconds: float | None = None,
    progress: Progress | None = None,
    session_id: str | None = None,
) -> dict[str, Any]:
    created_at = time.time()
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError) as exc:
        raise MediaError(f"cannot read {path.name} as audio or video: {exc}") from None
    with container:
        video_stream = next(iter(container.streams.video), None)
        audio_stream = next(iter(container.streams.audio), None)
        if video_stream is None and audio_stream is None:
            raise MediaError(f"{path.name} has neither an audio nor a video stream")
        duration = container.duration / av.time_base if container.duration else None
        if duration is not None and max_seconds is not None and duration > max_seconds:
            raise MediaError(
                f"{path.name} lasts {duration:.0f} s; the limit is {max_seconds:.0f} s"
            )
        video = build_video_analyzer(config) if video_stream is not None else None
        audio = build_audio_analyzer(config) if audio_stream is not None else None
        sampler = VideoSampler(config.video_fps, config.blink_fps)
        resampler = audio_resampler()
        clocks = {"video": MediaClock(), "audio": MediaClock()}
        received = analysed = eye_passes = 0
        streams = [s for s in (video_stream, audio_stream) if s is not None]
        # Audio goes through the chain in pieces of audio_batch_ms, as it does live.
        pending: list[av.AudioFrame] = []
        pending_t = 0.0
        batch = max(1, round(config.audio_batch_ms / 20))
        try:
            for frame in container.decode(*streams):
                if frame.pts is None:
                    continue
                if isinstance(frame, av.VideoFrame) and video is not None:
                    t = clocks["video"].seconds(frame)
                    received += 1
                    decision = sampler.decide(t)
                    if decision == "full":
                        full_pass(video, frame, t, config.max_analysis_width)
                        analysed += 1
                    elif decision == "eyes":
                        eye_pass(video, frame, t, config.max_analysis_width)
                        eye_passes += 1
                elif isinstance(frame, av.AudioFrame) and audio is not None:
                    t = clocks["audio"].seconds(frame)
                    if not pending:
                        pending_t = t
                    pending.append(frame)
                    if len(pending) >= batch:
                        audio_pass(audio, resampler, pending, pending_t)
                        pending = []
                else:
                    continue
                if max_seconds is not None and t > max_seconds:
                    raise MediaError(f"{path.name} runs past the {max_seconds:.0f} s limit")
                if progress is not None:
                    progress(t, duration)
            if audio is not None:
                audio_pass(audio, resampler, pending, pending_t)
        except av.FFmpegError as exc:
            raise MediaError(f"{path.name} could not be decoded: {exc}") from None
        finally:
            if video is not None:
                video.close()
    video_final = VideoFinal(video.session_summary(), video.points) if video else None
    audio_final = None
    if audio is not None:
        audio_final = AudioFinal(audio.session_summary(), audio.points, audio.seconds)
    quality = Quality(
        frames_received=received,
        frames_analysed=analysed,
        frames_skipped=received - analysed - eye_passes,
        eye_passes=eye_passes,
        face_visible_ratio=video_final.summary.face_visible_ratio if video_final else None,
        audio_seconds=round(audio.seconds, 3) if audio else 0.0,
        audio_frames_dropped=0,
        messages_dropped=0,
        analysis_errors=0,
    )
    return build_report(
        session_id or new_session_id(),
        source="upload",
        created_at=created_at,
        started_at=created_at,
        ended_at=time.time(),
        end_reason="file_end",
        video=video_final,
        audio=audio_final,
        quality=quality,
    )
