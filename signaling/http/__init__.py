"""The HTTP edge: the aiohttp application and its routes (:mod:`.app`,
:mod:`.session_routes`, :mod:`.subject_routes`), who may do what (:mod:`.auth`), limits on
clients, bodies and connections (:mod:`.limits`, :mod:`.ratelimit`, :mod:`.request_bodies`,
:mod:`.connections`), errors as JSON (:mod:`.errors`), ``/metrics`` (:mod:`.metrics`) and the
typed keys of what the application holds (:mod:`.app_keys`). The logic lives in
:mod:`signaling.services`.
"""

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    """``create_app``, imported when first used (the HTTP edge imports nothing of analysis)."""
    if name == "create_app":
        from signaling.http.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
