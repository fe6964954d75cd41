"""Token buckets per key (client address), kept for the most recent ``max_keys`` keys only, so
a flood of addresses cannot grow memory."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

from webrtc.peer.tokenbucket import TokenBucket


class KeyedLimiter:
    def __init__(
        self,
        per_minute: float,
        burst: float,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = burst
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def waiting(self, key: str) -> int:
        """0 when ``key`` has budget left, else whole seconds to wait; takes nothing."""
        bucket = self._buckets.get(key)
        wait = 0.0 if bucket is None else bucket.waiting()
        return 0 if wait == 0 else max(1, math.ceil(wait))

    def take(self, key: str) -> int:
        """0 when allowed, else whole seconds to wait (for ``Retry-After``)."""
        bucket = self._buckets.pop(key, None) or TokenBucket(self._rate, self._burst, self._clock)
        self._buckets[key] = bucket
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        wait = bucket.take()
        return 0 if wait == 0 else max(1, math.ceil(wait))
