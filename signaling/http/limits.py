"""Limits at the HTTP edge: per-client rate limits on creating sessions and offers, and the
CORS allow-list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from signaling.http.app_keys import LIMITER, SETTINGS
from signaling.services.errors import CorsForbidden, RateLimited

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def client_address(request: web.Request) -> str:
    if request.app[SETTINGS].trust_forwarded:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.remote or "unknown"


def rate_limit(request: web.Request) -> None:
    """Per-client budget for creating sessions and offers (429 with Retry-After past it)."""
    wait = request.app[LIMITER].take(client_address(request))
    if wait:
        raise RateLimited(
            "too many sessions or offers from this address; slow down",
            headers={"Retry-After": str(wait)},
        )


@web.middleware
async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Browsers on the allowed origins (``LENS_CORS_ORIGINS``) may call the API."""
    origin = request.headers.get("Origin")
    allowed = request.app[SETTINGS].cors_origin_list
    permitted = origin is not None and ("*" in allowed or origin in allowed)
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        if not permitted:
            refused = CorsForbidden("origin {origin} may not call this API", origin=repr(origin))
            return web.json_response(refused.to_json(), status=refused.status)
        response: web.StreamResponse = web.Response(status=204)
        response.headers.update(
            {
                "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
                "Access-Control-Allow-Headers": "Authorization, Content-Type",
                "Access-Control-Max-Age": "600",
            }
        )
    else:
        response = await handler(request)
    if permitted:
        response.headers["Access-Control-Allow-Origin"] = origin  # type: ignore[assignment]
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
        response.headers["Vary"] = "Origin"
    return response
