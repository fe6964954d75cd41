"""Typed keys of everything the application object holds."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from signaling.http.auth import Auth
from signaling.http.connections import ConnectionGuard
from signaling.http.metrics import Metrics
from signaling.http.ratelimit import KeyedLimiter
from signaling.services.sessions import SessionService
from signaling.services.subjects import SubjectService
from signaling.settings import Settings
from signaling.storage import Store
from webrtc.peer.registry import SessionRegistry

SETTINGS = web.AppKey("settings", Settings)
AUTH = web.AppKey("auth", Auth)
LIMITER = web.AppKey("limiter", KeyedLimiter)
AUTH_FAILURES = web.AppKey("auth_failures", KeyedLimiter)
"""Failed authentications per client address."""
METRICS = web.AppKey("metrics", Metrics)
SERVICE = web.AppKey("sessions", SessionService)
SUBJECTS = web.AppKey("subjects", SubjectService)
REGISTRY = web.AppKey("registry", SessionRegistry)
STORE = web.AppKey("store", Store)
GUARD: web.AppKey[ConnectionGuard | None] = web.AppKey("guard")
RESTARTS: web.AppKey[Callable[[], int] | None] = web.AppKey("restarts")
"""How many workers the supervisor has replaced (``None``: no supervisor)."""
