"""Admission by cost: a worker takes a new session only while the sessions it runs, each
weighed by what it costs, leave room for it on the cores it may use.

The unit is a camera-only session: one core holds :data:`~signaling.settings.SESSIONS_PER_CORE`
(``docs/deploy.md``, "Sizing"). A session heard by the local speech model costs a quarter of a
core: four interviews a core hold their live results in every run measured, six saturate it
(``docs/benchmarks.md``, "Capacity III"); one heard in Mandarin by ``base`` half a core (one or
two Chinese interviews a core, "Chinese interviews"). Recognised elsewhere (``LENS_ASR_URL``,
the machine's shared recogniser), speech costs the worker only the camera's unit. The room is
:data:`UNITS_PER_CORE` for each core the worker may use; past it, ``503 server_full`` before the
core saturates (the run-time check of late results stays, for what the weights miss).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from analyzers.words.language import language_family
from signaling.services.errors import ServerFull, SessionConflict
from signaling.settings import SESSIONS_PER_CORE, Settings
from webrtc.peer.registry import SessionRegistry
from webrtc.runtime.scheduler import usable_cores

UNITS_PER_CORE = float(SESSIONS_PER_CORE)
CAMERA = 1.0
TRANSCRIBED = UNITS_PER_CORE / 4
MANDARIN = UNITS_PER_CORE / 2


def session_cost(*, transcribed: bool, language: str | None, recognised_here: bool) -> float:
    """What a session costs its worker, in camera-only sessions."""
    if not transcribed or not recognised_here:
        return CAMERA
    return MANDARIN if language_family(language or "en") == "zh" else TRANSCRIBED


class Admission:
    """The sessions a worker runs and the ones being connected, with what each costs."""

    def __init__(self, settings: Settings, registry: SessionRegistry) -> None:
        self.settings = settings
        self.registry = registry
        self._offering: dict[object, float] = {}
        """Sessions being connected, with what they cost."""
        self._costs: dict[str, float] = {}
        """What each live session costs."""

    @contextlib.contextmanager
    def slot(self, session_id: str | None) -> Iterator[object]:
        """A place for one more live session, taken before the first ``await`` so that offers
        arriving together cannot all pass the count (and one session id cannot be offered
        twice at once), weighed as a camera-only session until :meth:`weigh` knows better;
        given back once the session exists (or the offer failed)."""
        limit = self.settings.session_limit
        if len(self.registry) + len(self._offering) >= limit:
            raise ServerFull(
                "this server is analysing its maximum of {limit} sessions",
                limit=limit,
                headers={"Retry-After": "30"},
            )
        key = session_id or object()
        if key in self._offering:
            raise SessionConflict(
                "session {session_id} is already being connected", session_id=session_id
            )
        self.weigh(key, CAMERA)
        try:
            yield key
        finally:
            self._offering.pop(key, None)

    def weigh(self, key: object, cost: float) -> None:
        """Hold ``cost`` for the session being connected as ``key``, or ``503 server_full``
        when the sessions of this worker, by their cost, leave no room for it
        (only where ``LENS_MAX_SESSIONS`` is 0)."""
        if not self.settings.max_sessions:
            live = {s.id for s in self.registry}
            self._costs = {sid: c for sid, c in self._costs.items() if sid in live}
            held = sum(self._costs.get(sid, CAMERA) for sid in live)
            held += sum(c for k, c in self._offering.items() if k is not key)
            room = UNITS_PER_CORE * usable_cores()
            if held + cost > room + 1e-6:
                raise ServerFull(
                    "this server's sessions already take its cores: {held:.0f} of {room:.0f} "
                    "(a camera-only session is 1, a transcribed one {cost:.1f})",
                    held=held,
                    room=room,
                    cost=TRANSCRIBED,
                    headers={"Retry-After": "30"},
                )
        self._offering[key] = cost

    def admitted(self, key: object, session_id: str, cost: float) -> None:
        """The session being connected as ``key`` is live: it counts itself from here."""
        self._costs[session_id] = cost
        self._offering.pop(key, None)

    @property
    def held(self) -> float:
        """What the live sessions and those being connected cost now."""
        live = {s.id for s in self.registry}
        return sum(self._costs.get(sid, CAMERA) for sid in live) + sum(self._offering.values())
