"""Which language a request is answered in: ``?lang=``, then the person's choice kept from the
page (the ``lens_lang`` cookie), then ``Accept-Language``, then English. Pages, error pages and
the ``message`` of JSON errors are written in it; codes never change."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

import locales

COOKIE = "lens_lang"
KEPT_FOR = 365 * 24 * 3600

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def chosen(request: web.Request) -> str | None:
    """What the person chose (the query, else the kept cookie), or ``None``."""
    return locales.pick(request.query.get("lang")) or locales.pick(request.cookies.get(COOKIE))


def of_request(request: web.Request) -> str:
    return (
        chosen(request)
        or locales.from_accept_language(request.headers.get("Accept-Language"))
        or locales.DEFAULT
    )


@web.middleware
async def request_locale(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Runs the handler with its locale active; a ``?lang=`` the server knows is kept in a
    cookie, so the person's choice holds on the next page."""
    with locales.activate(of_request(request)):
        response = await handler(request)
    asked = locales.pick(request.query.get("lang"))
    if asked and request.cookies.get(COOKIE) != asked and not response.prepared:
        response.set_cookie(COOKIE, asked, max_age=KEPT_FOR, samesite="Lax", path="/")
    return response
