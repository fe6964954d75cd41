"""Who may do what. With ``LENS_SECRET`` and ``LENS_API_KEY`` set, the platform authenticates
with its API key (``Authorization: Bearer <key>``) to create and manage sessions, and each
browser with its session's token: a JWT (HS256) naming the session, its expiry, what it may do
(``scope``) and which analyzers it may use (``analyzers``). Without a secret the server is open,
for development, and says so.

Missing, malformed, forged or expired credentials are 401; valid credentials used for something
they do not allow (another session, another scope, video when only audio was allowed) are 403.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import Any

import jwt

from signaling.services.errors import ApiError

ALGORITHM = "HS256"
ANALYZERS = ("video", "audio", "transcript")


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"

    def __init__(self, message: str, **fields: Any) -> None:
        headers = {"WWW-Authenticate": 'Bearer realm="interview-lens"'}
        super().__init__(message, headers=headers, **fields)


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


@dataclass(frozen=True)
class SessionGrant:
    session_id: str
    expires_at: float
    scope: tuple[str, ...]
    analyzers: tuple[str, ...]
    subject: str | None = None
    """The person the session belongs to, when the platform named one."""


def bearer(header: str | None) -> str | None:
    """The Bearer credential of an ``Authorization`` header. Keys and tokens are ASCII: a
    header that is not is refused as such (it used to reach the comparison and fail there)."""
    if not header:
        return None
    if not header.isascii() or not header.isprintable():
        raise Unauthorized("the Authorization header is malformed (not printable ASCII)")
    kind, _, value = header.partition(" ")
    return value.strip() if kind.lower() == "bearer" and value.strip() else None


class Auth:
    def __init__(self, secret: str | None, api_key: str | None, token_ttl: float) -> None:
        self.secret = secret
        self.api_key = api_key
        self.token_ttl = token_ttl

    @property
    def enabled(self) -> bool:
        return self.secret is not None

    def issue(
        self,
        session_id: str,
        *,
        analyzers: tuple[str, ...] = ANALYZERS,
        scope: tuple[str, ...] = ("offer", "report"),
        subject: str | None = None,
        now: float | None = None,
    ) -> str | None:
        if self.secret is None:
            return None
        issued = now if now is not None else time.time()
        claims = {
            "sub": session_id,
            "iat": int(issued),
            "exp": int(issued + self.token_ttl),
            "scope": list(scope),
            "analyzers": list(analyzers),
        }
        if subject is not None:
            claims["subject"] = subject
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def require_api_key(self, authorization: str | None) -> None:
        if not self.enabled:
            return
        presented = bearer(authorization)
        if presented is None:
            raise Unauthorized("this endpoint needs the platform's API key as a Bearer token")
        assert self.api_key is not None
        if not hmac.compare_digest(presented.encode(), self.api_key.encode()):
            raise Unauthorized("the API key is not valid")

    def grant(self, token: str | None) -> SessionGrant:
        """The session token's grant; 401 when absent, malformed, forged or expired."""
        assert self.secret is not None
        if token is None:
            raise Unauthorized("this endpoint needs the session's token as a Bearer token")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=[ALGORITHM],
                options={"require": ["sub", "exp", "scope", "analyzers"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the session token has expired") from None
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("the session token is not valid: {exc}", exc=exc) from None
        scope, analyzers = claims["scope"], claims["analyzers"]
        if not isinstance(scope, list) or not isinstance(analyzers, list):
            raise Unauthorized("the session token is not valid: malformed claims")
        subject = claims.get("subject")
        return SessionGrant(
            str(claims["sub"]),
            float(claims["exp"]),
            tuple(scope),
            tuple(analyzers),
            None if subject is None else str(subject),
        )

    def require_token(
        self,
        authorization: str | None,
        session_id: str | None,
        scope: str,
        kinds: tuple[str, ...] = (),
    ) -> SessionGrant | None:
        """Check a session token for ``scope`` on ``session_id``; ``None`` when auth is off."""
        if not self.enabled:
            return None
        return self.check(self.grant(bearer(authorization)), session_id, scope, kinds)

    def check(
        self, grant: SessionGrant, session_id: str | None, scope: str, kinds: tuple[str, ...] = ()
    ) -> SessionGrant:
        """What ``grant`` allows: ``scope`` on ``session_id`` for ``kinds`` of media (403)."""
        if session_id is None:
            raise Forbidden("name the session the token was issued for (session_id)")
        if grant.session_id != session_id:
            raise Forbidden(
                "this token is for another session, not {session_id}", session_id=session_id
            )
        if scope not in grant.scope:
            raise Forbidden("this token does not allow {scope}", scope=repr(scope))
        refused = [k for k in kinds if k not in grant.analyzers]
        if refused:
            raise Forbidden(
                "this token does not allow {refused} analysis", refused=" and ".join(refused)
            )
        return grant

    def _is_api_key(self, authorization: str | None) -> bool:
        presented = bearer(authorization)
        return (
            presented is not None
            and self.api_key is not None
            and hmac.compare_digest(presented.encode(), self.api_key.encode())
        )

    def require_key_or_token(self, authorization: str | None, session_id: str, scope: str) -> None:
        """The platform (API key) or the session itself (its token) may read its report."""
        if not self.enabled or self._is_api_key(authorization):
            return
        self.require_token(authorization, session_id, scope)

    def require_key_or_subject(self, authorization: str | None, subject: str) -> None:
        """The platform (API key), or a token of one of ``subject``'s sessions with the
        ``report`` scope, may read the subject's progress."""
        if not self.enabled or self._is_api_key(authorization):
            return
        grant = self.grant(bearer(authorization))
        if grant.subject != subject:
            raise Forbidden("this token is not for a session of this subject")
        if "report" not in grant.scope:
            raise Forbidden("this token does not allow 'report'")
