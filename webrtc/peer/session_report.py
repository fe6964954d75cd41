"""A live session's report: its streams finished (or, for a checkpoint, looked at as they
are), its transcript completed, its interview's answers and the coach's cues, built off the
event loop."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from analyzers.session.report import Report, build_report
from analyzers.session.voices import mark
from analyzers.words.language import Utterance
from webrtc.lifecycle import SessionCounters

if TYPE_CHECKING:
    from webrtc.peer.session import AnalysisSession


async def session_report(
    session: AnalysisSession, counters: SessionCounters, *, final: bool = True
) -> Report | None:
    """The end-of-session report, or ``None`` if no media was ever analysed. Not
    ``final``: the report so far (a checkpoint), the streams going on."""
    video = await session.video.finish() if session.video is not None else None
    audio = None
    if session.audio is not None:  # the end cuts the last utterance; a checkpoint does not
        audio = await (session.audio.finish() if final else session.audio.snapshot())
    if video is None and audio is None:
        return None
    transcript: list[Utterance] | None = None
    if not final and session.transcription is not None:
        transcript = list(session.transcript.utterances)
    elif session.transcription is not None and session.audio is not None:
        missing = await session.transcription.finish(
            session.id, session.config.transcript_finish_timeout
        )
        session.transcript.missing = round(missing, 2)
        transcript = list(session.transcript.utterances)
    quality = replace(
        counters.quality(video.summary.face_visible_ratio if video else None),
        transcript_seconds_missing=session.transcript.missing,
    )
    language = session.transcript.spoken_language()
    interviewer = session.interviewer
    answered = None if interviewer is None else interviewer.answered()
    stretches = list(session.transcript.voices)

    def build() -> Report:
        # A second voice (an interviewer in the room): its lines are kept out of the figures.
        said, voices = mark(stretches, transcript or [])
        return build_report(
            session.id,
            source="live",
            created_at=session.created_at,
            started_at=session.started_at,
            ended_at=(session.ended_at or time.time()) if final else time.time(),
            end_reason=(session.close_reason or "unknown") if final else "worker_lost",
            video=video,
            audio=audio,
            quality=quality,
            transcript=said if transcript is not None else None,
            language=language,
            turn_gap=session.config.stream.audio.turn_gap,
            recording=None if session.recorder is None else session.recorder.to_dict(),
            interview=None
            if interviewer is None or answered is None
            else interviewer.final(answered, [u for u in said if not u.other_voice]),
            nudges=list(session.nudges),
            voices=voices,
        )

    return await asyncio.get_running_loop().run_in_executor(None, build)
