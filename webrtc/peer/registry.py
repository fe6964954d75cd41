"""The live sessions of one server process, by id."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from aiortc import RTCConfiguration

from analyzers.session.report import Report
from analyzers.video.frame import VideoModels, build_video_models
from analyzers.video.posture import PoseModel
from analyzers.voice.speakers import VoiceEncoder
from analyzers.voice.speaking_rate import SYLLABLES_PER_WORD
from analyzers.voice.turn import SmartTurn
from webrtc.hooks import SessionHooks
from webrtc.lifecycle import SessionSnapshot, SessionState, new_session_id
from webrtc.peer import sctp
from webrtc.peer.session import AnalysisSession
from webrtc.protocol import SessionDraining
from webrtc.runtime.answer_review import Reviewer
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.interviewer import InterviewPlan
from webrtc.runtime.memory import MemoryTrimmer
from webrtc.runtime.posture_worker import PostureWorker
from webrtc.runtime.recognizers import recognizers
from webrtc.runtime.scheduler import AnalysisScheduler, CpuLoad, PerThread, RateController
from webrtc.runtime.speech_synthesis import EspeakVoice, PiperVoice, Voice
from webrtc.runtime.transcription import TranscriptionPool
from webrtc.runtime.turn_worker import TurnWorker

log = logging.getLogger(__name__)


def build_scheduler(config: PipelineConfig) -> AnalysisScheduler[VideoModels]:
    fps = config.stream.video_fps
    rate = RateController(fps, min(config.min_video_fps, fps), config.latency_target)
    models = PerThread(
        lambda: build_video_models(config.expression_backend, config.expression_model_path)
    )
    hands = config.stream.posture_hands
    posture = (
        PostureWorker(model=lambda: PoseModel(hands))
        if config.stream.posture_interval > 0
        else None
    )
    turns = None
    if config.turn_model_path is not None:
        turns = TurnWorker(SmartTurn(config.turn_model_path), config.stream.turn.threshold)
    return AnalysisScheduler(rate, models, config.analysis_threads, posture, turns)


def build_transcription(config: PipelineConfig) -> TranscriptionPool | None:
    """The process's speech recognition, if transcripts are on and a model is configured; the
    model loads on the first utterance, on the pool's own thread."""
    if not config.stream.transcript or config.asr_model_dir is None:
        return None
    load = CpuLoad()
    speakers = config.speakers_model_path
    recognizer, rendezvous = recognizers(config)
    return TranscriptionPool(
        recognizer,
        workers=max(config.asr_workers, config.asr_batch),
        rendezvous=rendezvous,
        max_backlog=config.transcript_backlog,
        max_deferred=config.transcript_deferred_max,
        spare=lambda: load.now() < config.partial_max_load,
        voices=None if speakers is None else lambda: VoiceEncoder(speakers),
    )


class SessionRegistry:
    def __init__(self, config: PipelineConfig, hooks: SessionHooks | None = None) -> None:
        sctp.install()  # data channels bounded before aiortc's work (webrtc/peer/sctp.py)
        self.config = config
        self.hooks = hooks or SessionHooks()
        self.scheduler = build_scheduler(config)
        """The analysis threads and rate every session of this process shares."""
        self.transcription = build_transcription(config)
        """Speech recognition shared by every session, on its own threads (or ``None``)."""
        self._sessions: dict[str, AnalysisSession] = {}
        self.opened = 0
        self._voice: Voice | None = None
        self._voice_missing = False
        self.reviewer: Reviewer | None = None
        """The operator's language model, when one is configured (set by the services)."""
        self.closed_by_reason: dict[str, int] = {}
        self.closed_totals: dict[str, float] = {}
        """Counters of the sessions closed so far, summed (for metrics)."""
        on_closed = self.hooks.on_closed

        self.memory = MemoryTrimmer()
        """Gives what ended sessions freed back to the system (``webrtc/runtime/memory.py``)."""

        def forget(session: SessionSnapshot, report: Report | None) -> None:
            live = self._sessions.get(session.id)
            if live is not None and live.state == SessionState.ENDED:
                del self._sessions[session.id]
            self.memory.after_session()
            reason = session.close_reason or "unknown"
            self.closed_by_reason[reason] = self.closed_by_reason.get(reason, 0) + 1
            for name, value in session.counters.to_dict().items():
                self.closed_totals[name] = self.closed_totals.get(name, 0) + value
            on_closed(session, report)

        self._hooks = SessionHooks(
            on_state=self.hooks.on_state,
            on_message=self.hooks.on_message,
            on_report=self.hooks.on_report,
            on_analysis=self.hooks.on_analysis,
            on_closed=forget,
            on_checkpoint=self.hooks.on_checkpoint,
            report_url=self.hooks.report_url,
        )

    def create(
        self,
        session_id: str | None = None,
        *,
        created_at: float | None = None,
        rtc_configuration: RTCConfiguration | None = None,
        transcript: bool = True,
        language: str | None = None,
        recording: Path | None = None,
        interview: InterviewPlan | None = None,
        locale: str | None = None,
    ) -> AnalysisSession:
        """A session; ``transcript`` asks for a transcript (given only when the process has
        speech recognition), ``language`` is ``en``, ``cmn`` or ``auto``; ``recording`` is
        where to record what the browser sends (``None``: nowhere); ``locale`` is the language of
        the words it sends (``None``: the interview's or the spoken language's)."""
        session_id = session_id or new_session_id()
        if session_id in self._sessions:
            raise KeyError(f"session {session_id} already has a peer connection")
        config = self.config
        if language in SYLLABLES_PER_WORD and language != config.stream.audio.language:
            # Pace from syllables needs the session's own syllables per word.
            audio = replace(config.stream.audio, language=language)
            config = replace(config, stream=replace(config.stream, audio=audio))
        session = AnalysisSession(
            session_id,
            config,
            self._hooks,
            scheduler=self.scheduler,
            created_at=created_at,
            rtc_configuration=rtc_configuration,
            transcription=self.transcription if transcript else None,
            language=language,
            recording=recording,
            interview=interview,
            locale=locale,
            voice=self.voice() if interview is not None and interview.voice else None,
            reviewer=self.reviewer,
        )
        self._sessions[session_id] = session
        self.opened += 1
        return session

    def voice(self) -> Voice | None:
        """The interviewer's voice, shared by the sessions: Piper for English when its model
        is configured (espeak-ng for the rest), else espeak-ng (``None``, and one warning,
        when espeak-ng is not installed: questions are then text only, or Piper's only)."""
        if self._voice is None and not self._voice_missing:
            espeak: Voice | None = None
            try:
                espeak = EspeakVoice()
            except RuntimeError as exc:
                log.warning("no espeak-ng: %s", exc)
            model = self.config.voice_model
            self._voice = espeak if model is None else PiperVoice(*model, fallback=espeak)
            self._voice_missing = self._voice is None
            if self._voice is None:
                log.warning("interviews are text only")
        return self._voice

    def get(self, session_id: str) -> AnalysisSession | None:
        return self._sessions.get(session_id)

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[AnalysisSession]:
        return iter(list(self._sessions.values()))

    async def close_all(self, reason: str = "server_shutdown") -> None:
        """Close every session; the analysis threads stay for sessions opened later."""
        await asyncio.gather(*(s.close(reason) for s in self), return_exceptions=True)

    async def drain(self, deadline: float) -> None:
        """Tell every session the server is going (``session.draining``), wait until they have
        ended or Unix time ``deadline`` has come, then close the rest (with their reports)."""
        left = max(0.0, deadline - time.time())
        for session in self:
            session.send(SessionDraining(session.id, session.clock(), deadline, round(left, 1)))
        waits = [asyncio.ensure_future(s.wait_closed()) for s in self]
        if waits:
            _, pending = await asyncio.wait(waits, timeout=left)
            for wait in pending:
                wait.cancel()
            if pending:
                log.info("drain timeout: ending %d session(s)", len(pending))
        await self.close_all("server_shutdown")

    async def shutdown(self) -> None:
        """Let the analysis and recognition threads exit (after :meth:`close_all`)."""
        self.scheduler.shutdown()
        posture = self.scheduler.posture
        if posture is not None:
            loop = asyncio.get_running_loop()
            if not await loop.run_in_executor(None, posture.join, 10.0):
                log.warning("the posture thread did not stop within 10 s")
        if self.transcription is not None:
            await self.transcription.close()
        if isinstance(self._voice, PiperVoice):
            await self._voice.close()
