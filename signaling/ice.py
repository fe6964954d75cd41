"""ICE servers for both peers: STUN and TURN URLs from settings, with time-limited TURN
credentials in coturn's REST scheme (``use-auth-secret``): the username is
``<expiry unix time>:<session id>`` and the credential is
``base64(HMAC-SHA1(LENS_TURN_SECRET, username))``, so coturn can check them with no database
and they stop working at the expiry."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer

from signaling.settings import Settings


def turn_credential(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def ice_servers(
    settings: Settings, session_id: str, now: float | None = None
) -> list[dict[str, Any]]:
    """``iceServers`` for ``RTCPeerConnection``, the TURN credentials bound to the session."""
    servers: list[dict[str, Any]] = []
    if settings.stun_url_list:
        servers.append({"urls": settings.stun_url_list})
    if settings.turn_url_list and settings.turn_secret is not None:
        expiry = int((now if now is not None else time.time()) + settings.turn_ttl)
        username = f"{expiry}:{session_id}"
        servers.append(
            {
                "urls": settings.turn_url_list,
                "username": username,
                "credential": turn_credential(settings.turn_secret.get_secret_value(), username),
            }
        )
    return servers


def rtc_configuration(servers: list[dict[str, Any]]) -> RTCConfiguration:
    """The same servers for the server's own peer connection (aiortc)."""
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
            for s in servers
        ]
    )
