"""When a session ends for want of its peer: the rules of :mod:`webrtc.peer.liveness` on the
event loop's own clock, with short timeouts (the end-to-end tests cover them through real peers:
``test_lifecycle.py``, ``test_interview.py``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from webrtc.peer.liveness import Liveness
from webrtc.runtime.config import PipelineConfig

QUICK = replace(
    PipelineConfig(),
    heartbeat_interval=0.1,
    heartbeat_timeout=0.3,
    connect_timeout=0.3,
    reconnect_grace=0.6,
    max_session_seconds=0.0,
)


@dataclass
class Channel:
    """A data channel as liveness reads it."""

    is_open: bool
    last_seen: float


class Watched:
    """A liveness watch running, with what it closed for and when."""

    def __init__(self, config: PipelineConfig, *, waits: bool) -> None:
        self.loop = asyncio.get_running_loop()
        self.started = self.loop.time()
        self.channel: Channel | None = None
        self.closed: list[tuple[str, float]] = []
        self.liveness = Liveness("s", config, waits=waits, started=self.started, close=self.close)
        self.task = asyncio.ensure_future(self.liveness.watch(lambda: self.channel))

    def close(self, reason: str) -> None:
        self.closed.append((reason, self.loop.time() - self.started))

    def heard(self) -> None:
        self.channel = Channel(True, self.loop.time())

    async def ended(self, within: float) -> tuple[str, float]:
        await asyncio.wait_for(self.task, within)
        assert len(self.closed) == 1, f"closed once, not {self.closed}"
        return self.closed[0]


async def test_a_channel_never_opened_ends_the_session_at_the_connect_timeout() -> None:
    watched = Watched(QUICK, waits=True)
    reason, after = await watched.ended(within=2.0)
    assert reason == "connect_timeout"
    assert 0.3 <= after <= 1.0, f"ended {after:.2f} s in, for a connect timeout of 0.3 s"


async def test_silence_ends_a_session_at_once_and_an_interview_after_its_grace() -> None:
    session, interview = Watched(QUICK, waits=False), Watched(QUICK, waits=True)
    for watched in (session, interview):
        watched.heard()
    start = session.loop.time()
    reason, _ = await session.ended(within=2.0)
    assert reason == "heartbeat_timeout", reason
    assert 0.3 <= session.loop.time() - start <= 1.0
    reason, _ = await interview.ended(within=3.0)
    waited = interview.loop.time() - start
    assert reason == "heartbeat_timeout", reason
    assert waited >= 0.3 + 0.6, f"the interview ended {waited:.2f} s after its last heartbeat"


async def test_a_new_peer_within_the_grace_keeps_the_interview() -> None:
    watched = Watched(QUICK, waits=True)
    watched.liveness.lost("channel_closed")
    await asyncio.sleep(0.4)
    watched.liveness.connecting()
    for _ in range(12):  # 1.2 s, twice the grace: the new peer keeps answering
        watched.heard()
        await asyncio.sleep(0.1)
    assert not watched.closed, f"a peer that came back was ended: {watched.closed}"
    watched.liveness.lost("channel_closed")
    watched.channel = None
    reason, _ = await watched.ended(within=2.0)
    assert reason == "channel_closed", "the reason the peer left, once the grace is over"


async def test_a_session_ends_at_its_longest() -> None:
    watched = Watched(replace(QUICK, max_session_seconds=0.5), waits=False)
    for _ in range(5):
        watched.heard()
        await asyncio.sleep(0.1)
    reason, after = await watched.ended(within=2.0)
    assert reason == "max_duration"
    assert 0.5 <= after <= 1.2, f"ended {after:.2f} s in, for a longest session of 0.5 s"
