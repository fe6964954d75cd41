"""One analysis session: a peer connection, its tracks and pipelines, its data channel and the
watchdog that closes it when the peer leaves, fails or goes silent.

Everything a session starts (tasks, analyzers, the peer connection) is released by
:meth:`AnalysisSession.close`, which is idempotent and safe to call from any of its own tasks.
Closing builds the end-of-session report first (:mod:`.session_report`) and, when the channel
is still open, sends it as ``session.report``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

import locales
from analyzers.session.report import NudgeRecord, Report
from analyzers.video.frame import VideoModels
from webrtc.hooks import SessionHooks
from webrtc.lifecycle import SessionCounters, SessionSnapshot, SessionState
from webrtc.peer.channel import CHANNEL_LABEL, ResultChannel
from webrtc.peer.connection import answer_offer, close_peer_connection
from webrtc.peer.liveness import Liveness
from webrtc.peer.recorder import Recorder, record_track
from webrtc.peer.rtp import packets_received
from webrtc.peer.session_report import session_report
from webrtc.peer.tracks import TapTrack, drain
from webrtc.peer.voice_track import VoiceTrack
from webrtc.protocol import (
    Error,
    ServerMessage,
    SessionClosed,
    SessionReady,
    SessionReport,
    in_words,
)
from webrtc.results import Summary
from webrtc.runtime.answer_review import Reviewer
from webrtc.runtime.config import PipelineConfig
from webrtc.runtime.interviewer import Interviewer, InterviewPlan
from webrtc.runtime.live_coach import LiveCoach, NudgeMessage
from webrtc.runtime.pipeline import AudioPipeline, VideoPipeline
from webrtc.runtime.scheduler import AnalysisScheduler
from webrtc.runtime.speech_synthesis import Voice
from webrtc.runtime.transcript import SessionTranscript
from webrtc.runtime.transcription import TranscriptionPool

log = logging.getLogger(__name__)


class AnalysisSession:
    def __init__(
        self,
        session_id: str,
        config: PipelineConfig,
        hooks: SessionHooks,
        *,
        scheduler: AnalysisScheduler[VideoModels],
        created_at: float | None = None,
        rtc_configuration: RTCConfiguration | None = None,
        transcription: TranscriptionPool | None = None,
        language: str | None = None,
        recording: Path | None = None,
        interview: InterviewPlan | None = None,
        locale: str | None = None,
        voice: Voice | None = None,
        reviewer: Reviewer | None = None,
    ) -> None:
        self.id = session_id
        self.config = config
        self.hooks = hooks
        self._scheduler = scheduler
        self.created_at = created_at or time.time()
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.state = SessionState.CREATED
        self.close_reason: str | None = None
        self._loop = asyncio.get_running_loop()
        self._started = self._loop.time()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closing: asyncio.Task[None] | None = None
        self._closed = asyncio.Event()
        self.channel: ResultChannel | None = None
        self.locale = locales.pick(locale) or locales.locale_of_language(
            interview.language
            if interview is not None
            else language or config.stream.audio.language
        )
        """The language of the words the session sends (nudges, setup advice, errors)."""
        self.words = locales.translator(self.locale)
        self.video: VideoPipeline | None = None
        self.audio: AudioPipeline | None = None
        self._taps: list[TapTrack] = []
        self._final_counters: SessionCounters | None = None
        self._transcription = transcription
        audio = config.stream.audio
        self.transcript = SessionTranscript(
            session_id,
            language or audio.language,
            summary_window=audio.summary_window,
            turn_gap=audio.turn_gap,
            send=self.send,
        )
        spoken = self.transcript.spoken_language
        self.coach = LiveCoach(
            session_id, config.coach, spoken, audio.min_pause, audio.turn_gap, clock=self.clock
        )
        self.extra_tracks = 0
        self.nudges: list[NudgeRecord] = []
        """The cues the coach gave, for the report."""
        self.packets: dict[str, int] = {}
        """RTP packets received by kind, read at each summary and at the end."""
        self.recorder: Recorder | None = None
        if recording is not None:
            self.recorder = Recorder(recording, self._loop, on_failure=self._lost)
        self.voice_track: VoiceTrack | None = None
        self.interviewer: Interviewer | None = None
        if interview is not None:
            if voice is not None and interview.voice:
                self.voice_track = VoiceTrack()
            self.interviewer = Interviewer(
                session_id,
                interview,
                send=self.send,
                spawn=self._spawn,
                utterances=lambda: self.transcript.utterances,
                transcribed=transcription is not None,
                voice=voice,
                track=self.voice_track,
                reviewer=reviewer,
                listening=self._listening,
                answering=self._answering,
            )
            self.transcript.on_final = self.interviewer.heard
        self._rtc_configuration = rtc_configuration
        self.liveness = Liveness(
            session_id,
            config,
            waits=self.interviewer is not None,
            started=self._started,
            close=self.request_close,
        )
        self._offsets: dict[str, float] = {}
        """Media time each kind's next track starts at (a reconnection goes on from there)."""
        self._live_kinds: set[str] = set()
        """The kinds of track the current peer connection has given."""
        self.reconnections = 0
        self.pc = self._new_peer_connection()

    def _new_peer_connection(self) -> RTCPeerConnection:
        pc = RTCPeerConnection(self._rtc_configuration)
        pc.on("datachannel", self._on_datachannel)
        pc.on("track", self._on_track)
        pc.on("connectionstatechange", lambda: self._on_connection_state(pc))
        return pc

    async def reconnect(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        """A new peer connection into this live interview (its page was reloaded, or lost its
        network): the old one is closed; the analysis, the interview and their clock go on,
        media time continuing from where it had got to."""
        if self._closing is not None:
            raise RuntimeError(f"session {self.id} is ending")
        old, channel = self.pc, self.channel
        self.channel = None
        if channel is not None:
            channel.close()  # its listeners first: its end is not the session's
        old.remove_all_listeners()
        await close_peer_connection(old, self.id)
        now = time.time()
        for tap in self._taps:
            self._offsets[tap.kind] = max(self._offsets.get(tap.kind, 0.0), tap.time_now(now))
        self._live_kinds.clear()
        self.liveness.connecting()
        self.reconnections += 1
        log.info("session %s: a new peer connection takes over", self.id)
        self.pc = self._new_peer_connection()
        if self.voice_track is not None and self.interviewer is not None:
            self.voice_track = VoiceTrack()
            self.interviewer.track = self.voice_track
        return await answer_offer(self.pc, offer, self.config.audio_ptime, self.voice_track)

    def _peer_lost(self, reason: str) -> None:
        """The peer went away: an interview waits ``reconnect_grace`` seconds for a new one
        (:meth:`reconnect`) before it ends with ``reason``; any other session ends now."""
        if self._closing is None:
            self.liveness.lost(reason)

    def _answering(self, going: bool) -> None:
        if self.audio is not None:
            self.audio.judging_turns = going

    def _listening(self, seconds: float) -> None:
        """The person listens to the interviewer for ``seconds`` from now (0: it stopped)."""
        if self.audio is not None:
            now = time.time()
            self.audio.listening_until = now + seconds
            if seconds > 0:
                self.audio.playing_since = now
            if self.voice_track is not None:
                self.audio.voice_level = self.voice_track.loudest

    def snapshot(self) -> SessionSnapshot:
        """What the rest of the server may know of the session now."""
        return SessionSnapshot(
            self.id, self.state, self.started_at, self.ended_at, self.close_reason, self.counters()
        )

    def clock(self) -> float:
        """Seconds since the session started: ``t`` of messages not tied to a track."""
        return round(self._loop.time() - self._started, 3)

    def _set_state(self, state: SessionState) -> None:
        self.state = state
        self.hooks.on_state(self.snapshot())

    async def answer(self, offer: RTCSessionDescription) -> RTCSessionDescription:
        """Apply the client's offer and return the answer with every ICE candidate gathered."""
        self._set_state(SessionState.CONNECTING)
        self._spawn(self.liveness.watch(lambda: self.channel), "watchdog")
        self._spawn(self._summaries(), "summaries")
        if self.hooks.on_checkpoint is not None and self.config.checkpoint_interval > 0:
            self._spawn(self._checkpoints(self.hooks.on_checkpoint), "checkpoints")
        return await answer_offer(self.pc, offer, self.config.audio_ptime, self.voice_track)

    def send(self, message: ServerMessage, *, essential: bool = False) -> None:
        """A message for the data channel (dropped and counted when none is open; an
        ``essential`` one is queued even past the channel's buffer limit)."""
        if self.channel is not None:
            self.channel.send(in_words(message, self.words), essential=essential)

    def _on_result(self, result: object) -> None:
        """A typed result of the pipelines, for the session's observers (the coach, the
        interviewer), whether or not a data channel is open."""
        self._nudge(self.coach.observe(result))
        if self.interviewer is not None:
            self.interviewer.observe(result)

    def _nudge(self, nudge: NudgeMessage | None) -> None:
        """One cue at most at a time: kept for the report, and sent."""
        if nudge is not None:
            self.nudges.append(NudgeRecord(nudge.t, nudge.kind, nudge.text))
            self.send(nudge)

    def counters(self) -> SessionCounters:
        """The counters now; once the session's tasks have stopped, the final ones, worked out
        once."""
        if self._final_counters is not None:
            return self._final_counters
        video, audio, channel = self.video, self.audio, self.channel
        window_seconds = self.config.stream.audio.window_ms / 1000
        return SessionCounters(
            frames_received=sum(t.frames_received for t in self._taps if t.kind == "video"),
            frames_analysed=video.frames_analysed if video else 0,
            frames_skipped=video.frames_skipped if video else 0,
            eye_passes=video.eye_passes if video else 0,
            audio_seconds=round((audio.windows_analysed if audio else 0) * window_seconds, 3),
            audio_frames_dropped=audio.frames_dropped if audio else 0,
            messages_sent=channel.sent if channel else 0,
            messages_dropped=channel.dropped if channel else 0,
            protocol_errors=channel.protocol_errors if channel else 0,
            analysis_errors=(video.errors if video else 0) + (audio.errors if audio else 0),
            extra_tracks=self.extra_tracks,
            audio_packets=self.packets.get("audio", 0),
            video_packets=self.packets.get("video", 0),
        )

    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(coro, name=f"lens-{self.id}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error(
                "session %s: task %s failed", self.id, task.get_name(), exc_info=task.exception()
            )

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if channel.label != CHANNEL_LABEL or self.channel is not None or self._closing:
            log.info("session %s: ignoring data channel %r", self.id, channel.label)
            channel.close()
            return
        on_message = self.hooks.on_message
        self.channel = ResultChannel(
            channel,
            self.id,
            max_buffered_bytes=self.config.max_buffered_bytes,
            clock=self.clock,
            on_end=lambda: self.request_close("ended"),
            on_video=lambda request: self.video is not None and self.video.request(request),
            on_interview=lambda control: (
                self.interviewer is not None
                and self.interviewer.control(control.action, control.index)
            ),
            on_flood=lambda: self.request_close("flooding"),
            max_message_bytes=self.config.max_message_bytes,
            messages_per_second=self.config.channel_messages_per_second,
            on_sent=None
            if on_message is None
            else lambda m, wire: on_message(self.snapshot(), m, wire),
        )
        channel.on("close", lambda: self._peer_lost("channel_closed"))

        def opened() -> None:
            self.started_at = self.started_at or time.time()
            self._set_state(SessionState.ACTIVE)
            self.send(
                SessionReady(
                    self.id,
                    self.clock(),
                    heartbeat_interval=self.config.heartbeat_interval,
                    heartbeat_timeout=self.config.heartbeat_timeout,
                    video_fps=self.config.stream.video_fps,
                    audio_window_ms=self.config.stream.audio.window_ms,
                )
            )
            if self.reconnections and self.interviewer is not None:
                self.interviewer.replay()  # the new page learns where the interview is

        if channel.readyState == "open":
            opened()
        else:
            channel.on("open", opened)

    def _pipeline_args(self) -> tuple[Any, ...]:
        return (self.id, self.config, self.send, self._scheduler, self.hooks.on_analysis)

    def _on_track(self, track: MediaStreamTrack) -> None:
        tap: MediaStreamTrack = track
        kind = track.kind
        if kind in self._live_kinds:
            # Analyse one track of each kind; drain the others so they cannot pile up.
            self.extra_tracks += 1
        elif kind == "video":
            first = self.video is None
            if self.video is None:
                self.video = VideoPipeline(*self._pipeline_args(), results=self._on_result)
                self._spawn(self.video.run(), "video")
            tap = TapTrack(track, self.video.slot.put, self._offsets.get(kind, 0.0))
            if first:
                record_track(self.recorder, self.pc, track, "video")
        elif kind == "audio":
            first = self.audio is None
            if self.audio is None:
                self.audio = AudioPipeline(
                    *self._pipeline_args(),
                    results=self._on_result,
                    turns=self.interviewer is not None,
                )
                if self._transcription is not None:
                    pool = self._transcription
                    pool.open(
                        self.id,
                        self.transcript.requested,
                        self.transcript.heard,
                        urgent=lambda: bool(
                            self.interviewer and self.interviewer.waiting_for_words
                        ),
                        voiced=self.transcript.voiced,
                    )
                    self.audio.on_clips = lambda clips: pool.add(self.id, clips)
                    self.audio.on_partial = lambda clip: pool.add_partial(self.id, clip)
                self._spawn(self.audio.run(), "audio")
            tap = TapTrack(track, self.audio.queue.put, self._offsets.get(kind, 0.0))
            if first:
                record_track(self.recorder, self.pc, track, "audio")
        else:
            self.extra_tracks += 1
        if isinstance(tap, TapTrack):
            self._live_kinds.add(kind)
            self._taps.append(tap)
        self._spawn(drain(tap), f"drain-{kind}-{track.id[:8]}")

    def _lost(self, message: str) -> None:
        """The recording stopped: the session goes on."""
        log.warning("session %s: recording stopped: %s", self.id, message)
        self.send(Error(self.id, self.clock(), "recording_failed", message))

    def _on_connection_state(self, pc: RTCPeerConnection) -> None:
        if pc is not self.pc:
            return  # one that a reconnection replaced
        state = pc.connectionState
        log.info("session %s: connection %s", self.id, state)
        if state in ("failed", "closed"):
            self._peer_lost(f"connection_{state}")

    async def _summaries(self) -> None:
        """A ``summary`` every ``summary_interval`` seconds once there is something to sum up."""
        while True:
            await asyncio.sleep(self.config.stream.summary_interval)
            video = self.video.summary if self.video is not None else None
            audio = self.audio.summary if self.audio is not None else None
            if video is not None or audio is not None:
                now = self.clock()
                heard = self.transcript.summary(now) if self._transcription else None
                summary = Summary.from_results(self.id, now, video, audio, heard)
                self.send(summary)
                self._nudge(self.coach.summary(now, summary))
            self.packets = await packets_received(self.pc)

    async def _checkpoints(self, keep: Callable[[SessionSnapshot, Report], None]) -> None:
        """The report so far, every ``checkpoint_interval`` seconds once media is analysed."""
        while True:
            await asyncio.sleep(self.config.checkpoint_interval)
            try:
                report = await session_report(self, self.counters(), final=False)
            except Exception:
                log.exception("session %s: could not make a checkpoint", self.id)
                continue
            if report is not None:
                keep(self.snapshot(), report)

    def request_close(self, reason: str) -> None:
        """Close from a callback or one of the session's own tasks, without waiting."""
        if self._closing is None:
            self._closing = asyncio.create_task(self._close(reason), name=f"lens-{self.id}-close")

    async def close(self, reason: str) -> None:
        self.request_close(reason)
        assert self._closing is not None
        await asyncio.shield(self._closing)

    async def wait_closed(self) -> None:
        await self._closed.wait()

    @property
    def transcription(self) -> TranscriptionPool | None:
        """The speech recognition this session's transcript comes from (``None``: off)."""
        return self._transcription

    async def _close(self, reason: str) -> None:
        self.close_reason = reason
        self.ended_at = time.time()
        self._set_state(SessionState.ENDING)
        log.info("session %s: closing (%s)", self.id, reason)
        report: Report | None = None
        try:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.recorder is not None:  # the end of the session ends its recording
                self.recorder.close()
                await self._loop.run_in_executor(None, self.recorder.join, 30.0)
            if reason == "deleted" and self._transcription is not None:
                self._transcription.forget(self.id)
                self.transcript.erase()
            try:
                # A deleted session is erased: no report is made, kept or sent.
                report = (
                    None if reason == "deleted" else await session_report(self, self.counters())
                )
            except Exception:
                log.exception("session %s: could not build the report", self.id)
            if report is not None:
                self.hooks.on_report(self.snapshot(), report)
                self.send(
                    SessionReport(
                        self.id,
                        self.clock(),
                        summary=report.summary.to_dict(),
                        quality=asdict(report.quality),
                        report_url=self.hooks.report_url(self.id),
                    ),
                    essential=True,
                )
            self.send(SessionClosed(self.id, self.clock(), reason), essential=True)
            if self.channel is not None:
                await self.channel.drain()
                self.channel.close()
            self.packets = await packets_received(self.pc)
            await close_peer_connection(self.pc, self.id)
            for pipeline in (self.video, self.audio):
                if pipeline is not None:
                    await pipeline.close()
        except Exception:
            log.exception("session %s: error while closing", self.id)
        finally:
            # Nothing counts any more: every reader from here on gets these.
            self._final_counters = self.counters()
            self._set_state(SessionState.ENDED)
            self._closed.set()
            self.hooks.on_closed(self.snapshot(), report)
