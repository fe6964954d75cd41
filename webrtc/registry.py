"""The live sessions of one server process, by id."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

from webrtc.config import PipelineConfig
from webrtc.session import AnalysisSession


class SessionRegistry:
    def __init__(self, config: PipelineConfig) -> None:
        self.config = config
        self._sessions: dict[str, AnalysisSession] = {}
        self.opened = 0
        self.closed_by_reason: dict[str, int] = {}

    def create(self, session_id: str | None = None) -> AnalysisSession:
        session_id = session_id or uuid.uuid4().hex
        if session_id in self._sessions:
            raise KeyError(f"session {session_id} already has a peer connection")
        session = AnalysisSession(session_id, self.config, self._forget)
        self._sessions[session_id] = session
        self.opened += 1
        return session

    def _forget(self, session: AnalysisSession) -> None:
        if self._sessions.get(session.id) is session:
            del self._sessions[session.id]
        reason = session.close_reason or "unknown"
        self.closed_by_reason[reason] = self.closed_by_reason.get(reason, 0) + 1

    def get(self, session_id: str) -> AnalysisSession | None:
        return self._sessions.get(session_id)

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[AnalysisSession]:
        return iter(list(self._sessions.values()))

    async def close_all(self, reason: str = "server_shutdown") -> None:
        await asyncio.gather(*(s.close(reason) for s in self), return_exceptions=True)
