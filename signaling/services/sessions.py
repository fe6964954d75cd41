"""Sessions as the API sees them, free of any web framework: create, connect, inspect, end,
erase, report. Keeps the store in step with the live sessions of this process."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiortc import RTCSessionDescription

from analyzers.interview.questions import Question
from analyzers.session.report import Report
from modelfiles.resolve import ModelPaths
from signaling.ice import ice_servers, rtc_configuration
from signaling.offer import Answer, Offer, inspect_sdp, safe_candidates
from signaling.services.admission import Admission, session_cost
from signaling.services.erasure import Erasures
from signaling.services.errors import (
    Draining,
    NotFound,
    OfferRejected,
    ReportNotReady,
    ServerFull,
    ServiceUnavailable,
    SessionConflict,
    SessionExpired,
)
from signaling.services.interviews import plan
from signaling.services.language_model import LanguageModel
from signaling.services.recordings import Recordings
from signaling.services.session_options import SessionOptions, check_session_id, new_record
from signaling.services.uploads import UploadAnalyzer
from signaling.services.workers import WorkerWatch, worker_name
from signaling.settings import Settings
from signaling.storage import SessionRecord, Store, StoreUnavailable
from webrtc.hooks import SessionHooks
from webrtc.lifecycle import SessionSnapshot, SessionState, new_session_id
from webrtc.peer.registry import SessionRegistry
from webrtc.peer.session import AnalysisSession
from webrtc.protocol import ServerMessage
from webrtc.runtime.file_analysis import AnalysisProgress

log = logging.getLogger(__name__)

RECENT_REPORTS = 64
_SYNCED = (SessionState.CONNECTING, SessionState.ACTIVE)
"""States in which a live session's record is written to the store as it changes."""


class SessionService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        models: ModelPaths | None = None,
        observe: Callable[[str, float], None] = lambda kind, seconds: None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.questions = settings.question_bank()
        self.worker = worker_name()
        self.watch = WorkerWatch(store, self.worker, settings.worker_timeout)
        self.draining_until: float | None = None
        """Unix time by which a draining worker ends its last sessions (``None``: serving)."""
        self.registry = SessionRegistry(
            settings.pipeline(models),
            SessionHooks(
                on_state=self._on_state,
                on_message=self._on_message,
                on_report=self._on_report,
                on_analysis=observe,
                on_closed=self._on_closed,
                on_checkpoint=self._on_checkpoint,
            ),
        )
        self._records: dict[str, SessionRecord] = {}
        self._reports: OrderedDict[str, Report] = OrderedDict()
        self.language_model: LanguageModel | None = None
        if settings.llm_url is not None:
            key = settings.llm_api_key
            self.language_model = LanguageModel(
                settings.llm_url,
                settings.llm_model,
                api_key=None if key is None else key.get_secret_value(),
                timeout=settings.llm_timeout,
                workers=settings.llm_workers,
                queue=settings.llm_queue,
            )
            self.registry.reviewer = self.language_model
        self.uploads = UploadAnalyzer(self.registry.config, settings.max_upload_seconds)
        self.recordings = Recordings(settings)
        self.erasures = Erasures(store, self.recordings)
        self.admission = Admission(self.settings, self.registry)
        """Who may connect: sessions weighed by what they cost (admission.py)."""

    async def _stored(self, session_id: str) -> SessionRecord | None:
        try:
            return await self.store.get_session(session_id)
        except StoreUnavailable as exc:
            raise ServiceUnavailable(str(exc)) from None

    async def create(self, options: SessionOptions | None = None) -> SessionRecord:
        record = new_record(options or SessionOptions(), self.settings, time.time(), self.questions)
        try:
            await self.store.put_session(record)
        except StoreUnavailable as exc:
            raise ServiceUnavailable(str(exc)) from None
        self.store.enqueue_event("session.created", record.id)
        return record

    async def offer(
        self, offer: Offer, session_id: str | None, allowed: tuple[str, ...] | None = None
    ) -> Answer:
        """Answer ``offer``; ``allowed``: the analyzers its token grants (``None``: auth off)."""
        inspect_sdp(offer.sdp, self.settings.max_tracks)
        live = None if session_id is None else self.registry.get(session_id)
        if live is not None and live.interviewer is not None:
            return await self._reconnect(live, offer)
        if self.draining_until is not None:
            raise Draining(
                "this server is shutting down and takes no new sessions; another will",
                headers={"Retry-After": "1"},
            )
        if self.registry.scheduler.rate.saturated(time.monotonic()):
            raise ServerFull(
                "this server's analysis is saturated: results would be late for every session",
                headers={"Retry-After": "10"},
            )
        with self.admission.slot(session_id) as key:
            return await self._offer(offer, session_id, allowed, key)

    async def _reconnect(self, session: AnalysisSession, offer: Offer) -> Answer:
        """A new peer connection into a live interview on this worker (its page came back)."""
        sdp, _ = safe_candidates(offer.sdp)
        try:
            local = await session.reconnect(RTCSessionDescription(sdp=sdp, type="offer"))
        except RuntimeError as exc:
            raise SessionConflict(str(exc)) from None
        except Exception as exc:
            log.info("reconnection rejected: %s: %s", type(exc).__name__, exc)
            await session.close("offer_rejected")
            raise OfferRejected(f"the offer could not be negotiated: {exc}"[:300]) from None
        return Answer(sdp=local.sdp, session_id=session.id)

    async def _offer(
        self,
        offer: Offer,
        session_id: str | None,
        allowed: tuple[str, ...] | None,
        key: object,
    ) -> Answer:
        """The offer, its slot (``key``) held."""
        now = time.time()
        if session_id is None:
            record = SessionRecord(
                id=new_session_id(),
                state=SessionState.CREATED,
                created_at=now,
                expires_at=now,
                transcript=self.settings.transcript,
            )
            self.store.enqueue_event("session.created", record.id)
        else:
            check_session_id(session_id)
            found = await self._stored(session_id)
            if found is None:
                raise NotFound("no session {session_id}", session_id=session_id)
            if found.state != SessionState.CREATED or self.registry.get(session_id) is not None:
                raise SessionConflict(
                    "session {session_id} is {state}: an offer needs a new session",
                    session_id=session_id,
                    state=found.state,
                )
            if found.expires_at < now:
                found.state = SessionState.EXPIRED
                self.store.enqueue_session(found)
                raise SessionExpired(
                    "session {session_id} expired at {expires_at}",
                    session_id=session_id,
                    expires_at=format(found.expires_at, ".0f"),
                )
            record = found
        transcribed = record.transcript and (allowed is None or "transcript" in allowed)
        cost = session_cost(
            transcribed=transcribed and self.registry.transcription is not None,
            language=record.language,
            recognised_here=self.registry.config.asr_url is None,
        )
        self.admission.weigh(key, cost)
        self._records[record.id] = record
        session = self.registry.create(
            record.id,
            created_at=record.created_at,
            rtc_configuration=rtc_configuration(ice_servers(self.settings, record.id)),
            transcript=transcribed,
            language=record.language,
            locale=record.locale,
            recording=self.recordings.for_session(record, allowed),
            interview=None
            if record.interview is None
            else plan(
                record.interview,
                self.registry.config.interview,
                self.settings.interview_voice != "off",
                self.registry.reviewer is not None,
            ),
        )
        self.admission.admitted(key, record.id, cost)
        sdp, dropped = safe_candidates(offer.sdp)
        if dropped:
            log.info("session %s: remote candidates left out: %s", record.id, dict(dropped))
        try:
            local = await session.answer(RTCSessionDescription(sdp=sdp, type="offer"))
        except Exception as exc:
            await session.close("offer_rejected")
            log.info("offer rejected: %s: %s", type(exc).__name__, exc)
            raise OfferRejected(f"the offer could not be negotiated: {exc}"[:300]) from None
        except BaseException:
            await session.close("cancelled")
            raise
        return Answer(sdp=local.sdp, session_id=session.id)

    # Hooks from live sessions: on the event loop, never blocking.

    def _update(self, session: SessionSnapshot) -> SessionRecord | None:
        record = self._records.get(session.id)
        if record is None:
            return None
        record.state = session.state
        record.started_at = session.started_at
        record.ended_at = session.ended_at
        record.end_reason = session.close_reason
        record.counters = session.counters
        record.worker = None if session.state == SessionState.ENDED else self.worker
        return record

    def _on_state(self, session: SessionSnapshot) -> None:
        record = self._update(session)
        if record is not None and session.state in _SYNCED:
            self.store.enqueue_session(record)

    def _on_message(self, session: SessionSnapshot, message: ServerMessage, wire: str) -> None:
        self.store.append_result(session.id, message.type, wire)

    def _on_checkpoint(self, session: SessionSnapshot, report: Report) -> None:
        self.store.enqueue_checkpoint(session.id, report.to_dict())

    def _keep(self, session_id: str, report: Report) -> None:
        self._reports[session_id] = report
        while len(self._reports) > RECENT_REPORTS:
            self._reports.popitem(last=False)

    def _on_report(self, session: SessionSnapshot, report: Report) -> None:
        if session.close_reason != "deleted":
            self._keep(session.id, report)

    def _on_closed(self, session: SessionSnapshot, report: Report | None) -> None:
        self.store.forget_stream(session.id)
        record = self._update(session)
        self._records.pop(session.id, None)
        if record is None or record.end_reason == "deleted":
            return
        self.store.enqueue_session(record)
        if report is not None:
            self.store.enqueue_report(session.id, report.to_dict())
        self.store.enqueue_event("session.ended", session.id)

    # Reads and deletes.

    async def get(self, session_id: str) -> dict[str, Any]:
        check_session_id(session_id)
        live = self.registry.get(session_id)
        if live is not None:
            fresh = self._update(live.snapshot())
            if fresh is not None:
                return fresh.to_dict()
        record = await self._stored(session_id)
        if record is None:
            raise NotFound("no session {session_id}", session_id=session_id)
        return record.to_dict()

    async def list(self, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        try:
            records, total = await self.store.list_sessions(offset, limit)
        except StoreUnavailable as exc:
            raise ServiceUnavailable(str(exc)) from None
        out = []
        for record in records:
            live = self.registry.get(record.id)
            fresh = self._update(live.snapshot()) if live is not None else None
            out.append((fresh or record).to_dict())
        return out, total

    async def delete(self, session_id: str) -> bool:
        """Erase the session, whatever the store does meanwhile: a durable tombstone first
        (retried for a few seconds, :mod:`signaling.services.erasure`; failing that, a 503 and
        nothing changed), then the live session ended, then its data erased. ``True`` when all is
        erased now; ``False`` when the store could not take the erasure yet: the session is
        already gone for every reader, and the erasure is finished when the store is back
        (by this worker, or any other: :meth:`sync_sessions`). A session live on another
        worker is stopped by that worker."""
        check_session_id(session_id)
        live = self.registry.get(session_id)
        if live is None and session_id not in self._reports:
            record = await self._stored(session_id)
            recorded = await asyncio.to_thread(self.recordings.path(session_id).is_file)
            if record is None and not recorded:
                raise NotFound("no session {session_id}", session_id=session_id)
        await self.erasures.mark(session_id)
        self._reports.pop(session_id, None)
        if live is not None:
            await live.close("deleted")
        return await self.erasures.erase(session_id)

    def problems(self) -> tuple[str, ...]:
        """What is wrong with this worker's store now, in words (empty: nothing)."""
        problems: tuple[str, ...] = ()
        writer = self.store.writer
        if not writer.healthy:
            problems += (
                f"the store is failing ({writer.last_error}); {writer.pending} writes are kept "
                "until it is back",
            )
        if self.erasures.pending:
            problems += (
                f"{len(self.erasures.pending)} deleted session(s) wait for the store to be erased",
            )
        return problems

    @property
    def erasures_pending(self) -> int:
        return len(self.erasures.pending)

    async def _finish_erasures(self) -> None:
        """Erasures cut short (by an outage here, or a worker that died mid-DELETE), and live
        sessions deleted through another worker: ended, then erased."""
        ids = [session.id for session in self.registry]
        try:
            for session_id in await self.store.deleted_among(ids) if ids else set():
                live = self.registry.get(session_id)
                if live is not None:
                    log.info("session %s: deleted through another worker", session_id)
                    self.erasures.pending.add(session_id)
                    await live.close("deleted")
            for session_id in await self.store.deleted_among(list(self._reports)):
                self._reports.pop(session_id, None)
            await self.erasures.finish()
        except StoreUnavailable as exc:
            log.warning("could not check for deleted sessions: %s", exc)

    async def sync_sessions(self) -> None:
        """Every ``LENS_SESSION_SYNC_INTERVAL`` seconds: the heartbeat, and the sessions of
        workers that are gone ended (:mod:`signaling.services.workers`); recordings past their
        retention erased (hourly); live sessions deleted through another worker (a tombstone in the
        store) closed, and erasures cut short finished (:meth:`_finish_erasures`); the records
        rewritten, for other workers' ``GET`` (``docs/storage.md``). Runs until cancelled; a
        store outage only delays it."""
        while True:
            await asyncio.sleep(self.settings.session_sync_interval)
            await self.watch.tick()
            await asyncio.to_thread(self.recordings.sweep)
            try:
                await self._finish_erasures()
            except Exception:
                log.exception("finishing erasures failed")
            for live in self.registry:
                record = self._update(live.snapshot())
                if record is not None and live.state in _SYNCED:
                    self.store.enqueue_session(record)

    async def report(self, session_id: str) -> Report:
        check_session_id(session_id)
        if session_id in self._reports:
            return self._reports[session_id]
        if self.registry.get(session_id) is not None:
            raise ReportNotReady(
                "session {session_id} is in progress: the report comes at its end",
                session_id=session_id,
            )
        try:
            report = await self.store.get_report(session_id)
        except StoreUnavailable as exc:
            raise ServiceUnavailable(str(exc)) from None
        if report is None:
            record = await self._stored(session_id)
            if record is None:
                raise NotFound("no session {session_id}", session_id=session_id)
            if record.state == SessionState.CREATED or record.state.live:
                raise ReportNotReady(
                    "session {session_id} is {state}: no report yet",
                    session_id=session_id,
                    state=record.state,
                )
            if record.end_reason == "worker_lost":
                raise NotFound(
                    "session {session_id} has no report: its worker was lost before the first "
                    "checkpoint of its analysis was stored",
                    session_id=session_id,
                )
            raise NotFound(
                "session {session_id} has no report: no media was analysed", session_id=session_id
            )
        return Report.from_dict(report)

    async def analyze_upload(
        self,
        path: Path,
        *,
        session_id: str | None = None,
        subject: str | None = None,
        progress: Callable[[AnalysisProgress], None] | None = None,
        questions: tuple[Question, ...] = (),
        candidate_voice: str = "most",
    ) -> Report:
        """Analyse an uploaded recording in the child process (:mod:`signaling.services.uploads`)
        and keep it as an ended session of source ``upload`` (the person's, with ``subject``);
        an interview's recording by question (its ``questions``, or those heard); of two voices, the
        person's is ``candidate_voice`` (``most`` or ``least``).
        The caller holds ``self.uploads.slot()``."""
        session_id = session_id or new_session_id()
        known = tuple(q for s in self.questions.sets.values() for q in s.questions)
        report, counters = await self.uploads.analyze(
            path, session_id, progress, questions=questions, known=known,
            candidate_voice=candidate_voice,
        )  # fmt: skip
        record = SessionRecord(
            id=session_id,
            subject=subject,
            state=SessionState.ENDED,
            created_at=report.created_at,
            expires_at=report.created_at,
            source="upload",
            started_at=report.started_at,
            ended_at=report.ended_at,
            end_reason=report.end_reason,
            counters=counters,
        )
        self.store.enqueue_session(record)
        self._keep(session_id, report)
        self.store.enqueue_report(session_id, report.to_dict())
        return report

    async def start(self) -> None:
        """Before the first request: this worker's heartbeat, and the sessions of any worker
        that died (this one's predecessor, after a crash) ended."""
        await self.watch.tick()

    async def drain(self, timeout: float) -> None:
        """Take no new session; tell the live ones (``session.draining``) and let them finish,
        for up to ``timeout`` seconds; then end the rest (with their reports)."""
        if self.draining_until is not None:
            return
        self.draining_until = time.time() + timeout
        log.info("draining: %d live session(s), for up to %.0f s", len(self.registry), timeout)
        await self.registry.drain(self.draining_until)

    async def close(self) -> None:
        self.uploads.close()
        await self.registry.shutdown()
        if self.language_model is not None:
            await self.language_model.close()
        self.watch.close()
        try:
            await self.store.forget_worker(self.worker)
        except StoreUnavailable as exc:
            log.warning("could not remove this worker's heartbeat: %s", exc)
