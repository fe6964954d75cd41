"""Analysis of a recorded file: PyAV decodes it, the same sampler and analyzers as a live
session run on its frames, and the same report comes out."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import av

from analyzers.interview.questions import Question
from analyzers.interview.recorded import find_questions, recorded_answers
from analyzers.session.report import Report, build_report
from analyzers.session.voices import keep_apart
from analyzers.voice.speakers import VoiceEncoder
from analyzers.words.recognition import SpeechClip, WhisperRecognizer, transcribe, unheard_seconds
from webrtc.lifecycle import SessionCounters, new_session_id
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.frame_queues import MediaClock
from webrtc.runtime.frames import AvImage, audio_frames, video_stream

Stage = Literal["analysing", "transcribing"]


@dataclass(frozen=True)
class AnalysisProgress:
    """How far the analysis of a file has come: first its media is decoded and analysed
    (``done`` and ``total`` in media seconds, ``total`` ``None`` when the file does not say),
    then its speech is transcribed (seconds of speech)."""

    stage: Stage
    done: float
    total: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "done": round(self.done, 1),
            "total": self.total and round(self.total, 1),
        }


Progress = Callable[[AnalysisProgress], None]


def _reason(exc: BaseException) -> str:
    """Why a file could not be read, without where it lies (an upload's temporary path is
    the server's business)."""
    reason = getattr(exc, "strerror", None)
    return str(reason) if reason else type(exc).__name__


class MediaError(ValueError):
    """The file cannot be analysed: not media PyAV can decode, no audio or video, too long."""


MAX_FRAME_PIXELS = 4096 * 2304
"""The largest picture decoded (a little over 4K UHD). FFmpeg's decoders refuse a frame past
it before allocating it, whatever the container declares: a 16000x16000 PNG in a 2.4 MB file
would otherwise take 1.5 GB."""
MAX_FRAME_RATE = 120.0
"""Video frames decoded per second of the length limit: a file whose timestamps stand still
cannot pass the limit with frames."""
DECODER_OPTIONS = {"max_pixels": str(MAX_FRAME_PIXELS)}


class Decoded:
    """How much of a file was decoded, counted from the frames themselves (samples and
    frames), not from the timestamps or duration the container declares."""

    def __init__(self) -> None:
        self.audio_seconds = 0.0
        self.video_frames = 0

    def add(self, frame: object) -> None:
        if isinstance(frame, av.AudioFrame):
            self.audio_seconds += frame.samples / (frame.sample_rate or 1)
        elif isinstance(frame, av.VideoFrame):
            self.video_frames += 1
            if frame.width * frame.height > MAX_FRAME_PIXELS:
                raise MediaError(_too_large(frame.width, frame.height))

    def seconds(self) -> float:
        """Media seconds decoded, at least: audio by its samples, video at the highest frame
        rate counted."""
        return max(self.audio_seconds, self.video_frames / MAX_FRAME_RATE)


def _too_large(width: int, height: int) -> str:
    return (
        f"its pictures ({width}x{height}) are larger than the {MAX_FRAME_PIXELS:,} pixels "
        "analysed; export the recording at 4K or less"
    )


def analyze_file(
    path: Path,
    config: PipelineConfig,
    *,
    max_seconds: float | None = None,
    progress: Progress | None = None,
    session_id: str | None = None,
    language: str | None = None,
    questions: Sequence[Question] = (),
    known: Sequence[Question] = (),
    candidate_voice: str = "most",
) -> tuple[Report, SessionCounters]:
    """The file's report, and its counters in the shape a live session's record keeps.
    ``language``: ``en``, ``cmn`` or ``auto`` for the transcript (default: the config's). An
    interview's recording is reported by question: the ``questions`` given, found in what was
    said, or without them the questions heard (with the guide of a ``known`` one they match);
    :mod:`analyzers.interview.recorded`. A recording with two voices has the person's words apart
    from the other's: ``candidate_voice`` (``most`` or ``least``) says which is the person's;
    :mod:`analyzers.session.voices`."""
    language_choice = language or config.stream.audio.language
    created_at = time.time()
    try:
        # The options bound the frames FFmpeg decodes while it probes the streams.
        container = av.open(str(path), options=DECODER_OPTIONS)
    # A damaged file's metadata may not even be text (PyAV decodes it as UTF-8).
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise MediaError(f"cannot read {path.name} as audio or video: {_reason(exc)}") from None
    with container:
        # A stream without a codec context is one FFmpeg could not make sense of; decoding it
        # dereferences a null pointer inside PyAV.
        video_stream_in = next((s for s in container.streams.video if s.codec_context), None)
        audio_stream_in = next((s for s in container.streams.audio if s.codec_context), None)
        if video_stream_in is None and audio_stream_in is None:
            raise MediaError(f"{path.name} has neither an audio nor a video stream")
        if video_stream_in is not None:
            declared = video_stream_in.codec_context
            if declared.width * declared.height > MAX_FRAME_PIXELS:
                raise MediaError(f"{path.name}: {_too_large(declared.width, declared.height)}")
            declared.options = DECODER_OPTIONS  # and while it decodes them
        duration = container.duration / av.time_base if container.duration else None
        if duration is not None and max_seconds is not None and duration > max_seconds:
            raise MediaError(
                f"{path.name} lasts {duration:.0f} s; the limit is {max_seconds:.0f} s"
            )
        video = video_stream(config) if video_stream_in is not None else None
        audio = audio_frames(config) if audio_stream_in is not None else None
        clips: list[SpeechClip] = []
        clocks = {"video": MediaClock(), "audio": MediaClock()}
        # Audio and video frames interleave a little out of step: the furthest either has
        # reached is how far the file is, and the figure never goes back.
        furthest = 0.0
        decoded = Decoded()
        streams = [s for s in (video_stream_in, audio_stream_in) if s is not None]
        try:
            for frame in container.decode(*streams):
                decoded.add(frame)
                if max_seconds is not None and decoded.seconds() > max_seconds:
                    raise MediaError(f"{path.name} runs past the {max_seconds:.0f} s limit")
                if frame.pts is None:
                    continue
                if isinstance(frame, av.VideoFrame) and video is not None:
                    t = clocks["video"].seconds(frame)
                    video.feed(t, AvImage(frame, config.max_analysis_width))
                elif isinstance(frame, av.AudioFrame) and audio is not None:
                    t = clocks["audio"].seconds(frame)
                    clips += audio.feed(frame, t).clips
                else:
                    continue
                if max_seconds is not None and t > max_seconds:
                    raise MediaError(f"{path.name} runs past the {max_seconds:.0f} s limit")
                reached = max(t, decoded.seconds())
                if progress is not None and reached > furthest:
                    furthest = reached
                    progress(AnalysisProgress("analysing", reached, duration))
            if audio is not None:
                clips += audio.end().clips
            video_final = video.finish() if video is not None else None
        except (av.FFmpegError, UnicodeDecodeError) as exc:
            if video_stream_in is not None and not video_stream_in.codec_context.width:
                # Probing found no picture size: a picture past the limit, or a damaged one.
                raise MediaError(
                    f"{path.name} could not be decoded: {_reason(exc)} (pictures over "
                    f"{MAX_FRAME_PIXELS:,} pixels are not analysed)"
                ) from None
            raise MediaError(f"{path.name} could not be decoded: {_reason(exc)}") from None
        finally:
            if video is not None:
                video.close()
    audio_final = audio.stream.finish() if audio is not None else None
    transcript = None
    heard_voices = None
    missing = 0.0
    model_dir = config.asr_dir(None if language_choice == "auto" else language_choice)
    if audio is not None and config.stream.transcript and model_dir is not None:
        recognizer = WhisperRecognizer(model_dir)
        language = None if language_choice == "auto" else language_choice
        speech = sum(clip.seconds for clip in clips)

        def transcribed(done: float) -> None:
            if progress is not None:
                progress(AnalysisProgress("transcribing", done, speech))

        transcribed(0.0)
        transcript = transcribe(recognizer, clips, language, progress=transcribed)
        missing = unheard_seconds(clips, transcript)
        if config.speakers_model_path is not None and clips:
            encoder = VoiceEncoder(config.speakers_model_path)
            transcript, heard_voices = keep_apart(clips, transcript, encoder, candidate_voice)
    counters = SessionCounters(
        frames_received=video.frames_offered if video else 0,
        frames_analysed=video.frames_analysed if video else 0,
        frames_skipped=video.frames_skipped if video else 0,
        eye_passes=video.eye_passes if video else 0,
        audio_seconds=round(audio_final.seconds, 3) if audio_final else 0.0,
    )
    spoken = transcript[-1].language if transcript else config.stream.audio.language
    interview = None
    if transcript:
        asked = find_questions(transcript, spoken, questions, known)
        if asked:
            interview = recorded_answers(
                asked,
                transcript,
                spoken,
                video_final.points if video_final else (),
                audio_final.points if audio_final else (),
            )
    report = build_report(
        session_id or new_session_id(),
        source="upload",
        created_at=created_at,
        started_at=created_at,
        ended_at=time.time(),
        end_reason="file_end",
        video=video_final,
        audio=audio_final,
        quality=replace(
            counters.quality(video_final.summary.face_visible_ratio if video_final else None),
            transcript_seconds_missing=round(missing, 2),
        ),
        transcript=transcript,
        language=spoken,
        turn_gap=config.stream.audio.turn_gap,
        interview=interview,
        voices=heard_voices,
    )
    return report, counters
