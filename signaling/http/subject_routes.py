"""HTTP routes for a person across sessions (``subject``); the logic is in
:mod:`signaling.services.subjects`."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from signaling.http.app_keys import AUTH, SUBJECTS
from signaling.http.session_routes import link_authorization, wants_html
from signaling.pages import progress as progress_page
from signaling.services.session_options import check_subject


def _subject(request: web.Request) -> str:
    return check_subject(request.match_info["subject"])


async def get_progress(request: web.Request) -> web.Response:
    """The platform's key, or a token of one of the subject's sessions (a browser following
    a link may pass it as ``?token=``); JSON, or the progress page with ``?format=html``."""
    subject = _subject(request)
    request.app[AUTH].require_key_or_subject(link_authorization(request), subject)
    progress = await request.app[SUBJECTS].progress(subject)
    if wants_html(request):
        return aiohttp_jinja2.render_template(
            progress_page.TEMPLATE, request, progress_page.context(progress)
        )
    return web.json_response(progress)


async def get_export(request: web.Request) -> web.Response:
    subject = _subject(request)
    request.app[AUTH].require_api_key(request.headers.get("Authorization"))
    body = await request.app[SUBJECTS].export(subject)
    return web.json_response(
        body, headers={"Content-Disposition": f'attachment; filename="lens-{subject}.json"'}
    )


async def delete_subject(request: web.Request) -> web.Response:
    subject = _subject(request)
    request.app[AUTH].require_api_key(request.headers.get("Authorization"))
    erased = await request.app[SUBJECTS].erase(subject)
    return web.json_response({"subject": subject, "sessions_deleted": erased})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/subjects/{subject}/progress", get_progress)
    app.router.add_get("/api/subjects/{subject}/export", get_export)
    app.router.add_delete("/api/subjects/{subject}", delete_subject)
