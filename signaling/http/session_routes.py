"""HTTP routes for sessions and reports; the logic is in :mod:`signaling.services.sessions`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import BodyPartReader, web

from signaling.http.app_keys import AUTH, SERVICE, SETTINGS, SUBJECTS
from signaling.http.limits import rate_limit
from signaling.http.request_bodies import Deadline, read_body
from signaling.ice import ice_servers
from signaling.pages import report as report_page
from signaling.services.errors import ApiError, InvalidRequest, NotFound, PayloadTooLarge
from signaling.services.interviews import MAX_QUESTIONS_BYTES, GivenQuestions, given_questions
from signaling.services.session_options import (
    SessionOptions,
    check_candidate,
    check_session_id,
    check_subject,
)
from webrtc.lifecycle import new_session_id
from webrtc.runtime.file_analysis import AnalysisProgress

log = logging.getLogger(__name__)


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidRequest("query parameter {name} must be an integer", name=repr(name)) from None
    if not low <= value <= high:
        raise InvalidRequest(
            "query parameter {name} must be between {low} and {high}",
            name=repr(name),
            low=low,
            high=high,
        )
    return value


def _platform(request: web.Request) -> None:
    request.app[AUTH].require_api_key(request.headers.get("Authorization"))


async def post_session(request: web.Request) -> web.Response:
    _platform(request)
    rate_limit(request)
    settings = request.app[SETTINGS]
    body = await read_body(request, settings.max_body_bytes, settings.body_timeout)
    record = await request.app[SERVICE].create(SessionOptions.parse(body))
    analyzers: tuple[str, ...] = ("video", "audio")
    analyzers += ("transcript",) * record.transcript + ("record",) * record.record
    return web.json_response(
        {
            "session_id": record.id,
            "expires_at": record.expires_at,
            "ice_servers": ice_servers(request.app[SETTINGS], record.id),
            "token": request.app[AUTH].issue(
                record.id, analyzers=analyzers, subject=record.subject
            ),
            "subject": record.subject,
            "record": record.record,
            "transcript": record.transcript,
            "language": record.language,
        },
        status=201,
    )


async def list_sessions(request: web.Request) -> web.Response:
    _platform(request)
    offset = _int_param(request, "offset", 0, 0, 10**9)
    limit = _int_param(request, "limit", 20, 1, 100)
    sessions, total = await request.app[SERVICE].list(offset, limit)
    return web.json_response(
        {"sessions": sessions, "total": total, "offset": offset, "limit": limit}
    )


async def get_session(request: web.Request) -> web.Response:
    _platform(request)
    return web.json_response(await request.app[SERVICE].get(request.match_info["session_id"]))


async def delete_session(request: web.Request) -> web.Response:
    """204 when erased; 202 when the session is gone for every reader and its erasure waits
    for the store (it is finished when the store is back). The platform (API key) may, and so
    may the person: their session's own token (``report`` scope) in ``Authorization`` (never
    in the query: a link must not erase)."""
    session_id = request.match_info["session_id"]
    request.app[AUTH].require_key_or_token(
        request.headers.get("Authorization"), session_id, "report"
    )
    if await request.app[SERVICE].delete(session_id):
        return web.Response(status=204)
    return web.json_response(
        {
            "session_id": session_id,
            "status": "erasing",
            "message": "deleted: no one can read it any more; the store is away, so the data "
            "is erased as soon as it is back",
        },
        status=202,
    )


def wants_html(request: web.Request) -> bool:
    fmt = request.query.get("format")
    if fmt is not None:
        if fmt not in ("html", "json"):
            raise InvalidRequest("format must be 'html' or 'json'")
        return fmt == "html"
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and "application/json" not in accept.split(",")[0]


def link_authorization(request: web.Request) -> str | None:
    """The ``Authorization`` header, or else a ``?token=`` in the query: a browser following a
    link to a page cannot set headers. (Only for reading: nothing is erased by a link.)"""
    authorization = request.headers.get("Authorization")
    if authorization is None and "token" in request.query:
        authorization = f"Bearer {request.query['token']}"
    return authorization


def _reader(request: web.Request) -> str:
    """The session id, once the API key or the session's token (``report`` scope) is
    checked. A browser following a link cannot set headers: it may pass its token in the
    query."""
    session_id = request.match_info["session_id"]
    request.app[AUTH].require_key_or_token(link_authorization(request), session_id, "report")
    return session_id


async def get_recording(request: web.Request) -> web.StreamResponse:
    """The session's recording (WebM), with range requests so that a player can seek."""
    session_id = check_session_id(_reader(request))
    path = request.app[SERVICE].recordings.path(session_id)
    if not await asyncio.to_thread(path.is_file):
        raise NotFound("session {session_id} has no recording", session_id=session_id)
    return web.FileResponse(path, headers={"Content-Type": "video/webm"})


async def get_report(request: web.Request) -> web.Response:
    session_id = _reader(request)
    report = await request.app[SERVICE].report(session_id)
    if wants_html(request):
        record = await request.app[SERVICE].get(session_id)
        compared = await request.app[SUBJECTS].compared(record)
        # ?embed=1: inside the demo page, which shows it in place when a session ends (its
        # links then open in the page itself, not in the frame).
        embed = request.query.get("embed") == "1"
        return aiohttp_jinja2.render_template(
            report_page.TEMPLATE,
            request,
            {
                **report_page.context(report, compared),
                "embed": embed,
                "retention_days": request.app[SETTINGS].recording_retention_days,
            },
        )
    return web.json_response(report.to_dict())


async def get_ice_servers(request: web.Request) -> web.Response:
    """``iceServers`` for a session: the platform asks with its key, a browser with its
    session's token and ``?session_id=``."""
    session_id = request.query.get("session_id") or new_session_id()
    request.app[AUTH].require_key_or_token(
        request.headers.get("Authorization"), session_id, "offer"
    )
    return web.json_response(
        {"ice_servers": ice_servers(request.app[SETTINGS], session_id), "session_id": session_id}
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/ice-servers", get_ice_servers)
    app.router.add_post("/api/sessions", post_session)
    app.router.add_get("/api/sessions", list_sessions)
    app.router.add_get("/api/sessions/{session_id}", get_session)
    app.router.add_delete("/api/sessions/{session_id}", delete_session)
    app.router.add_get("/api/sessions/{session_id}/report", get_report)
    app.router.add_get("/api/sessions/{session_id}/recording", get_recording)
    app.router.add_post("/api/analyze", post_analyze)


async def post_analyze(request: web.Request) -> web.StreamResponse:
    """A recorded file, uploaded as multipart field ``file`` (before it, optionally, a field
    ``subject``: the person's opaque id, as in ``POST /api/sessions``; ``questions``: an
    interview's questions as JSON, a list as in ``interview.questions``; and ``candidate``:
    which of two voices is the person's, ``most`` (default) or ``least``), analysed like a live
    session, an interview by question. The answer is the report; or, asked with
    ``Accept: application/x-ndjson``, one JSON line as the analysis starts, one as it goes on
    and one with the report (``docs/api.md``)."""
    _platform(request)
    settings = request.app[SETTINGS]
    service = request.app[SERVICE]
    if not request.content_type.startswith("multipart/"):
        raise InvalidRequest("upload the recording as multipart/form-data, field 'file'")
    if request.content_length is not None and request.content_length > settings.max_upload_bytes:
        raise PayloadTooLarge(
            "uploads are at most {max_upload_bytes} bytes",
            max_upload_bytes=settings.max_upload_bytes,
        )
    async with service.uploads.slot():
        with tempfile.TemporaryDirectory(prefix="lens-upload-") as tmp:
            path = Path(tmp) / "upload"
            fields = await _receive(request, path)
            if "application/x-ndjson" in request.headers.get("Accept", ""):
                return await _analyze_streaming(request, path, fields)
            report = await service.analyze_upload(
                path, subject=fields.subject, questions=fields.questions,
                candidate_voice=fields.candidate,
            )  # fmt: skip
    return web.json_response(report.to_dict())


@dataclass(frozen=True)
class UploadFields:
    """The fields sent before an upload's file."""

    subject: str | None = None
    questions: GivenQuestions = ()
    candidate: str = "most"


async def _receive(request: web.Request, path: Path) -> UploadFields:
    """The upload's file, written to ``path``; its ``subject``, ``questions`` and ``candidate``
    fields, if it has them before the file."""
    settings = request.app[SETTINGS]
    deadline = Deadline(settings.body_timeout, settings.min_upload_rate)
    reader = await request.multipart()
    subject: str | None = None
    questions: GivenQuestions = ()
    candidate = "most"
    while True:
        part = await deadline.within(reader.next())
        if part is None:
            raise InvalidRequest("the upload has no 'file' field")
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "file":
            break
        if part.name == "subject":
            raw = await deadline.within(part.read_chunk(256))
            subject = check_subject(raw.decode(errors="replace"))
        if part.name == "questions":
            raw = b""
            while chunk := await deadline.within(part.read_chunk(1 << 14)):
                raw += chunk
                if len(raw) > MAX_QUESTIONS_BYTES:
                    raise PayloadTooLarge(
                        "'questions' is at most {MAX_QUESTIONS_BYTES} bytes",
                        MAX_QUESTIONS_BYTES=MAX_QUESTIONS_BYTES,
                    )
            questions = given_questions(raw.decode(errors="replace"))
        if part.name == "candidate":
            raw = await deadline.within(part.read_chunk(64))
            candidate = check_candidate(raw.decode(errors="replace").strip())
    size = 0
    with path.open("wb") as out:
        while chunk := await deadline.within(part.read_chunk(1 << 16), size):
            size += len(chunk)
            if size > settings.max_upload_bytes:
                raise PayloadTooLarge(
                    "uploads are at most {max_upload_bytes} bytes",
                    max_upload_bytes=settings.max_upload_bytes,
                )
            await asyncio.to_thread(out.write, chunk)
    return UploadFields(subject, questions, candidate)


async def _analyze_streaming(
    request: web.Request, path: Path, fields: UploadFields
) -> web.StreamResponse:
    """The analysis told as it goes, one JSON object a line: ``accepted`` (the session id),
    ``progress`` (stage, done, total; the latest, twice a second at most) and at the end
    ``report`` or ``error`` (the same code and words a plain upload's 4xx carries)."""
    session_id = new_session_id()
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/x-ndjson",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # a proxy passes each line on as it comes
        }
    )
    await response.prepare(request)
    # Only the latest figure matters: a slow reader gets it when it reads, nothing queues up.
    latest: list[AnalysisProgress] = []
    fresh = asyncio.Event()

    def told(progress: AnalysisProgress) -> None:
        latest[:] = [progress]
        fresh.set()

    gone = False

    async def write(line: dict[str, Any]) -> None:
        # A client that goes away loses the lines, not the analysis: it runs to its end and
        # is kept (the person finds it among their sessions).
        nonlocal gone
        if gone:
            return
        try:
            await response.write(json.dumps(line).encode() + b"\n")
        except ConnectionError:
            gone = True
            log.info("upload %s: the client went away; its analysis goes on", session_id)

    await write({"type": "accepted", "session_id": session_id})
    analysis = asyncio.ensure_future(
        request.app[SERVICE].analyze_upload(
            path,
            session_id=session_id,
            subject=fields.subject,
            progress=told,
            questions=fields.questions,
            candidate_voice=fields.candidate,
        )
    )
    try:
        while not analysis.done():
            waiting = asyncio.ensure_future(fresh.wait())
            await asyncio.wait([analysis, waiting], return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            if fresh.is_set() and not analysis.done():
                fresh.clear()
                await write({"type": "progress", **latest[0].to_dict()})
        report = analysis.result()
    except ApiError as exc:
        await write({"type": "error", **exc.to_json()})
    else:
        await write(
            {
                "type": "report",
                "report_url": f"/api/sessions/{session_id}/report",
                "report": report.to_dict(),
            }
        )
    finally:
        if not analysis.done():  # the server itself is stopping
            analysis.cancel()
    if not gone:
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
    await response.write_eof()
    return response
