"""The live sessions of one server process, by id."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

from aiortc import RTCConfiguration

from analyzers.report import Report
from analyzers.video import VideoModels, build_video_models
from webrtc.config import PipelineConfig
from webrtc.scheduler import AnalysisScheduler, PerThread, RateController
from webrtc.session import AnalysisSession, SessionHooks


def new_session_id() -> str:
    return uuid.uuid4().hex


def build_scheduler(config: PipelineConfig) -> AnalysisScheduler[VideoModels]:
    fps = config.stream.video_fps
    rate = RateController(fps, min(config.min_video_fps, fps), config.latency_target)
    models = PerThread(
        lambda: build_video_models(config.expression_backend, config.expression_model_path)
    )
    return AnalysisScheduler(rate, models, config.analysis_threads)


class SessionRegistry:
    def __init__(self, config: PipelineConfig, hooks: SessionHooks | None = None) -> None:
        self.config = config
        self.hooks = hooks or SessionHooks()
        self.scheduler = build_scheduler(config)
        """The analysis threads and rate every session of this process shares."""
        self._sessions: dict[str, AnalysisSession] = {}
        self.opened = 0
        self.closed_by_reason: dict[str, int] = {}
        self.closed_totals: dict[str, float] = {}
        """Counters of the sessions closed so far, summed (for metrics)."""
        on_closed = self.hooks.on_closed

        def forget(session: AnalysisSession, report: Report | None) -> None:
            if self._sessions.get(session.id) is session:
                del self._sessions[session.id]
            reason = session.close_reason or "unknown"
            self.closed_by_reason[reason] = self.closed_by_reason.get(reason, 0) + 1
            for name, value in session.counters().to_dict().items():
                self.closed_totals[name] = self.closed_totals.get(name, 0) + value
            on_closed(session, report)

        self._hooks = SessionHooks(
            on_state=self.hooks.on_state,
            on_message=self.hooks.on_message,
            on_report=self.hooks.on_report,
            on_analysis=self.hooks.on_analysis,
            on_closed=forget,
            report_url=self.hooks.report_url,
        )

    def create(
        self,
        session_id: str | None = None,
        *,
        created_at: float | None = None,
        rtc_configuration: RTCConfiguration | None = None,
    ) -> AnalysisSession:
        session_id = session_id or new_session_id()
        if session_id in self._sessions:
            raise KeyError(f"session {session_id} already has a peer connection")
        session = AnalysisSession(
            session_id,
            self.config,
            self._hooks,
            scheduler=self.scheduler,
            created_at=created_at,
            rtc_configuration=rtc_configuration,
        )
        self._sessions[session_id] = session
        self.opened += 1
        return session

    def get(self, session_id: str) -> AnalysisSession | None:
        return self._sessions.get(session_id)

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[AnalysisSession]:
        return iter(list(self._sessions.values()))

    async def close_all(self, reason: str = "server_shutdown") -> None:
        """Close every session; the analysis threads stay for sessions opened later."""
        await asyncio.gather(*(s.close(reason) for s in self), return_exceptions=True)

    def shutdown(self) -> None:
        """Let the analysis threads exit (after :meth:`close_all`)."""
        self.scheduler.shutdown()
