"""A person across sessions, by the platform's opaque ``subject`` id: their progress, everything
kept about them (export), and its erasure. The id is indexed, never interpreted."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from analyzers.session.progress import RECENT, compare, headline_figures
from analyzers.session.summary import SummaryFields
from signaling.services.errors import NotFound, ServiceUnavailable
from signaling.services.session_options import check_subject
from signaling.services.sessions import SessionService
from signaling.storage import SessionRecord, StoreUnavailable

log = logging.getLogger(__name__)


class SubjectService:
    def __init__(self, sessions: SessionService) -> None:
        self.sessions = sessions

    async def _records(self, subject: str) -> list[SessionRecord]:
        check_subject(subject)
        try:
            records = await self.sessions.store.subject_sessions(subject)
        except StoreUnavailable as exc:
            raise ServiceUnavailable(str(exc)) from None
        if not records:
            raise NotFound("no sessions for this subject")
        return records

    async def _report(self, session_id: str) -> dict[str, Any] | None:
        """The session's report as JSON, or ``None`` when it has none (yet)."""
        try:
            return (await self.sessions.report(session_id)).to_dict()
        except NotFound:
            return None
        except ServiceUnavailable:
            raise
        except Exception as exc:  # in progress, or no media: not a progress point
            log.debug("session %s: no report for progress: %s", session_id, exc)
            return None

    async def progress(self, subject: str) -> dict[str, Any]:
        """The headline figures of each of the subject's sessions that has a report, oldest
        first."""
        points = []
        for record in await self._records(subject):
            report = await self._report(record.id)
            if report is None:
                continue
            points.append(
                {
                    "session_id": record.id,
                    "created_at": record.created_at,
                    "duration": report.get("duration"),
                    "figures": _figures(report),
                }
            )
        return {"subject": subject, "sessions": points}

    async def compared(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        """How the session of ``record`` compares with the same subject's last
        :data:`~analyzers.session.progress.RECENT` earlier sessions that have a report (nothing
        without a subject or earlier reports, or while the store cannot say: the report page is
        served without it)."""
        subject = record.get("subject")
        if subject is None:
            return []
        try:
            records = await self._records(subject)
            current = await self._report(record["id"])
            ids = [r.id for r in records]
            if current is None or record["id"] not in ids:
                return []
            earlier: list[dict[str, float | None]] = []
            for other in reversed(ids[: ids.index(record["id"])]):
                report = await self._report(other)
                if report is not None:
                    earlier.insert(0, _figures(report))
                if len(earlier) == RECENT:
                    break
        except (NotFound, ServiceUnavailable):
            return []
        return compare(_figures(current), earlier)

    async def export(self, subject: str) -> dict[str, Any]:
        """Everything kept about the subject: each session's record and report, and where its
        recording can be fetched (the video itself is not inlined)."""
        recordings = self.sessions.recordings
        sessions = [
            {
                "session": record.to_dict(),
                "report": await self._report(record.id),
                "recording": f"/api/sessions/{record.id}/recording"
                if await asyncio.to_thread(recordings.path(record.id).is_file)
                else None,
            }
            for record in await self._records(subject)
        ]
        return {"subject": subject, "sessions": sessions}

    async def erase(self, subject: str) -> int:
        """Delete every session of the subject (as ``DELETE /api/sessions/{id}`` does), then
        its index; how many sessions were erased."""
        erased = 0
        for record in await self._records(subject):
            try:
                await self.sessions.delete(record.id)
            except NotFound:
                continue
            erased += 1
        try:
            await self.sessions.store.forget_subject(subject)
        except StoreUnavailable as exc:
            raise ServiceUnavailable(str(exc)) from None
        return erased


def _figures(report: dict[str, Any]) -> dict[str, float | None]:
    """The headline figures of a stored report."""
    return headline_figures(SummaryFields.from_dict(report["summary"]), report.get("language"))
