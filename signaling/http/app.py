"""The aiohttp application: routes, JSON errors, and teardown of every peer on shutdown."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp_jinja2
from aiohttp import web

import locales
from signaling.http import interview_routes, session_routes, subject_routes
from signaling.http.app_keys import (
    AUTH,
    AUTH_FAILURES,
    GUARD,
    LIMITER,
    METRICS,
    REGISTRY,
    RESTARTS,
    SERVICE,
    SETTINGS,
    STORE,
    SUBJECTS,
)
from signaling.http.auth import Auth, Unauthorized, bearer
from signaling.http.connections import ConnectionGuard
from signaling.http.limits import client_address, cors, rate_limit
from signaling.http.locale import request_locale
from signaling.http.metrics import CONTENT_TYPE, Metrics
from signaling.http.ratelimit import KeyedLimiter
from signaling.http.request_bodies import read_body
from signaling.offer import inspect_sdp, parse_offer
from signaling.pages import render
from signaling.services.errors import ApiError, RateLimited
from signaling.services.sessions import SessionService
from signaling.services.subjects import SubjectService
from signaling.settings import Settings
from signaling.storage import open_store
from webrtc.peer.loops import loop_name

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
VERSION = "0.1.0"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure leaves as JSON ``{"error": {"code", "message"}}`` with a 4xx/5xx status.

    A wrong credential is charged to the client's address: past
    ``LENS_AUTH_FAILURES_PER_MINUTE``, its requests that carry credentials are ``429`` without
    being checked, so keys and tokens cannot be guessed at speed (a request with none is
    refused with 401 and charged nothing)."""
    failures = request.app[AUTH_FAILURES]
    address = client_address(request)
    try:
        if "Authorization" in request.headers and (wait := failures.waiting(address)):
            raise RateLimited(
                "too many failed authentications from this address; wait",
                headers={"Retry-After": str(wait)},
            )
        return await handler(request)
    except ApiError as exc:
        if isinstance(exc, Unauthorized) and "Authorization" in request.headers:
            failures.take(address)  # a credential that was wrong: a guess, or a stale one
        if _asks_for_a_page(request):
            return _error_page(request, exc)
        return web.json_response(exc.to_json(), status=exc.status, headers=exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        return _error(exc.status, code, exc.text or exc.reason)
    except ConnectionResetError:
        # The client went away mid-request (an upload cut short): nothing is wrong here, and
        # nobody is left to answer.
        log.info("%s %s: the client went away", request.method, request.path)
        return _error(400, "client_gone", locales._("the client went away"))
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return _error(500, "internal", locales._("internal server error"))


ERROR_TITLES = {
    401: locales.N_("Sign-in needed"),
    403: locales.N_("Not yours to see"),
    404: locales.N_("Not found"),
    409: locales.N_("Not ready yet"),
    429: locales.N_("Too many tries"),
    503: locales.N_("Try again in a moment"),
}


def _asks_for_a_page(request: web.Request) -> bool:
    """A person's browser on a page URL (``?format=html``, or HTML first in ``Accept``)."""
    if request.method != "GET":
        return False
    if request.query.get("format") == "html":
        return True
    accept = request.headers.get("Accept", "")
    return "format" not in request.query and accept.startswith("text/html")


def _error_page(request: web.Request, exc: ApiError) -> web.StreamResponse:
    """The error as a page, in the same words (escaped: messages may quote what was asked)."""
    page = aiohttp_jinja2.render_template(
        "error.html",
        request,
        {
            "title": locales._(ERROR_TITLES.get(exc.status, locales.N_("Something went wrong"))),
            "message": exc.localised(),
            "status": exc.status,
            "code": exc.code,
            "inline_css": None,
        },
        status=exc.status,
    )
    page.headers.update(exc.headers)
    return page


async def post_offer(request: web.Request) -> web.Response:
    """Authenticate first (a request with no valid token is neither charged to the rate limit
    nor parsed), then limit, read and parse, then check what the token allows."""
    settings = request.app[SETTINGS]
    auth = request.app[AUTH]
    grant = auth.grant(bearer(request.headers.get("Authorization"))) if auth.enabled else None
    rate_limit(request)
    body = await read_body(request, settings.max_body_bytes, settings.body_timeout)
    offer = parse_offer(body, max_sdp_bytes=settings.max_sdp_bytes)
    media = inspect_sdp(offer.sdp, settings.max_tracks)
    kinds = tuple(k for k in ("video", "audio") if k in media.kinds)
    if grant is not None:
        auth.check(grant, offer.session_id, "offer", kinds)
    allowed = None if grant is None else grant.analyzers
    answer = await request.app[SERVICE].offer(offer, offer.session_id, allowed)
    return web.json_response(answer.to_json())


async def get_health(request: web.Request) -> web.Response:
    """Liveness for anyone (``503`` with status ``draining`` once the worker is shutting down,
    so a load balancer sends new sessions elsewhere); the worker's details (its host and pid,
    the store's location) only for the platform's API key, or for anyone on an open
    (development) server."""
    auth = request.app[AUTH]
    service = request.app[SERVICE]
    status, code = ("ok", 200) if service.draining_until is None else ("draining", 503)
    problems = service.problems()
    if problems and code == 200:
        status = "degraded"  # still serving: writes wait for the store, nothing is lost
    if auth.enabled:
        try:
            auth.require_api_key(request.headers.get("Authorization"))
        except ApiError:
            return web.json_response({"status": status, "auth": "enabled"}, status=code)
    registry = request.app[REGISTRY]
    return web.json_response(
        {
            "status": status,
            "problems": problems,
            "draining_until": service.draining_until,
            "version": VERSION,
            "sessions": len(registry),
            "sessions_opened": registry.opened,
            "worker": request.app[SERVICE].worker,
            "event_loop": loop_name(asyncio.get_running_loop()),
            "store": request.app[STORE].health(),
            "auth": "enabled" if request.app[AUTH].enabled else AUTH_DISABLED,
            "recording": request.app[SETTINGS].recording,
            "recording_retention_days": request.app[SETTINGS].recording_retention_days,
            "uploads": {
                "max_bytes": request.app[SETTINGS].max_upload_bytes,
                "max_seconds": request.app[SETTINGS].max_upload_seconds,
            },
            "time": time.time(),
        },
        status=code,
    )


async def get_metrics(request: web.Request) -> web.Response:
    """The Prometheus metrics: counts of sessions, errors and load, no personal data, but a
    map of the service; with auth on, for the platform's API key only (a scraper sends it as a
    Bearer token)."""
    request.app[AUTH].require_api_key(request.headers.get("Authorization"))
    return web.Response(body=request.app[METRICS].render(), headers={"Content-Type": CONTENT_TYPE})


async def get_index(request: web.Request) -> web.Response:
    """The demo page, in the request's locale, with the page scripts' catalog inside it."""
    locale = locales.current()
    return aiohttp_jinja2.render_template(
        "index.html",
        request,
        {"catalog": locales.page_catalog(locale), "locales": LOCALE_NAMES},
    )


LOCALE_NAMES = {"en": "English", "zh": "中文"}
"""Each locale in its own words, for the page's language menu."""


async def _close_peers(app: web.Application) -> None:
    registry = app[REGISTRY]
    if len(registry):
        log.info("shutting down: closing %d session(s)", len(registry))
    await registry.close_all("server_shutdown")


async def _services(app: web.Application) -> AsyncIterator[None]:
    """Open the store and resolve model files before the first request can arrive (a model
    fetch runs off the loop)."""
    settings = app[SETTINGS]
    loop = asyncio.get_running_loop()
    store = open_store(settings)
    await store.start()  # first: a data directory that cannot be written fails at once
    try:
        models = await loop.run_in_executor(None, settings.model_files)
    except BaseException:
        await store.close()
        raise
    service = SessionService(
        settings,
        store,
        models,
        observe=lambda kind, seconds: app[METRICS].observe_analysis(kind, seconds),
    )
    app[STORE] = store
    app[SERVICE] = service
    app[SUBJECTS] = SubjectService(service)
    app[REGISTRY] = service.registry
    app[METRICS] = Metrics(service, store, app[GUARD], app[RESTARTS])
    await service.start()
    lag = asyncio.create_task(app[METRICS].watch_loop(), name="lens-loop-lag")
    sync = asyncio.create_task(service.sync_sessions(), name="lens-session-sync")
    yield
    lag.cancel()
    sync.cancel()
    await asyncio.gather(lag, sync, return_exceptions=True)
    await service.close()
    await store.close()


AUTH_DISABLED = "disabled: LENS_SECRET is not set, anyone can create sessions (development only)"


def create_app(
    settings: Settings,
    guard: ConnectionGuard | None = None,
    restarts: Callable[[], int] | None = None,
) -> web.Application:
    """The application; ``guard``: the connection caps of the site serving it, ``restarts``:
    how many workers the supervisor has replaced (both for metrics)."""
    # CORS outermost: error answers carry its headers too, or a browser on an allowed origin
    # sees a network failure instead of the 4xx/503 and its Retry-After.
    app = web.Application(
        middlewares=[cors, request_locale, json_errors], client_max_size=settings.max_body_bytes
    )
    app[SETTINGS] = settings
    app[GUARD] = guard
    app[RESTARTS] = restarts
    app[LIMITER] = KeyedLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    app[AUTH_FAILURES] = KeyedLimiter(settings.auth_failures_per_minute, 10)
    app[AUTH] = Auth(
        settings.secret.get_secret_value() if settings.secret else None,
        settings.api_key.get_secret_value() if settings.api_key else None,
        settings.token_ttl,
    )
    if not app[AUTH].enabled:
        log.warning("AUTH IS OFF: %s", AUTH_DISABLED)
    app.cleanup_ctx.append(_services)
    app.router.add_get("/", get_index)
    app.router.add_get("/health", get_health)
    app.router.add_get("/metrics", get_metrics)
    app.router.add_post("/api/offer", post_offer)
    session_routes.add_routes(app)
    subject_routes.add_routes(app)
    interview_routes.add_routes(app)
    app.router.add_static("/static/", STATIC_DIR, name="static")
    render.setup(aiohttp_jinja2.setup(app, **render.environment_options()))
    app.on_shutdown.append(_close_peers)
    return app
