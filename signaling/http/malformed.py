"""Requests aiohttp cannot parse (a request line or header over its 8190-byte limit, a broken
request line) are refused before any handler or middleware runs, with aiohttp's plain-text
400 that echoes the start of the input. :class:`LensRunner` answers them as every other error
is answered: JSON ``{"error": {"code", "message"}}``, nothing of the input repeated, one log
line without a traceback."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import LineTooLong
from aiohttp.web_protocol import RequestHandler

import locales

log = logging.getLogger(__name__)


class JsonErrorsHandler(RequestHandler):
    """aiohttp's request handler, but a request it could not parse gets a JSON error."""

    __slots__ = ()

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500 or request.writer.output_size > 0:
            return super().handle_error(request, status, exc, message)
        if isinstance(exc, LineTooLong):
            code, words = (
                "request_head_too_large",
                locales.N_("the request line or a header is too long"),
            )
        else:
            code, words = "malformed_request", locales.N_("the request is not valid HTTP")
        log.info("refused a malformed request from %s: %s", request.remote, type(exc).__name__)
        response = web.json_response(
            {"error": {"code": code, "message": locales._(words)}}, status=status
        )
        response.force_close()
        return response


class JsonErrorsServer(web.Server):
    def __call__(self) -> RequestHandler:
        return JsonErrorsHandler(self, loop=self._loop, **self._kwargs)


class LensRunner(web.AppRunner):
    """An :class:`aiohttp.web.AppRunner` whose connections are :class:`JsonErrorsHandler`."""

    async def _make_server(self) -> web.Server:
        made = await super()._make_server()
        kwargs: dict[str, Any] = made._kwargs
        return JsonErrorsServer(
            made.request_handler,
            request_factory=made.request_factory,
            handler_cancellation=made.handler_cancellation,
            loop=made._loop,
            **kwargs,
        )
