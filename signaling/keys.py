"""Typed keys of everything the application object holds."""

from __future__ import annotations

from aiohttp import web

from signaling.settings import Settings
from webrtc.registry import SessionRegistry

SETTINGS = web.AppKey("settings", Settings)
REGISTRY = web.AppKey("registry", SessionRegistry)
