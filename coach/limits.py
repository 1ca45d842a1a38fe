"""How fast one sender, or one client address, may send messages.

No maintained Sanic rate limiter fits the locked environment, and the counting is a few lines:
- `TokenBuckets` (in-process, the default): a burst of `count` messages, then one every
  `period / count` seconds. Each Rasa process counts on its own.
- `RedisWindows` (COACH_RATE_LIMIT_BACKEND=redis): a fixed window per key in Redis, shared by
  every Rasa instance behind the load balancer. If Redis cannot be reached, messages are let
  through (logged): a limit must never be the reason someone with an emergency hears nothing.

Both answer `wait(key)`: None when the message may go on, else the seconds until it may.
Keys are already hashed by the caller (connectors/guard.py), so no sender id or address is
kept in memory or in Redis in the clear.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Callable, Dict, Optional, Tuple

logger = logging.getLogger(__name__)
MAX_TRACKED_KEYS = 100_000  # then buckets that have refilled are forgotten (they hold nothing)


class TokenBuckets:
    def __init__(self, count: int, period: float, clock: Callable[[], float] = time.monotonic):
        self.count = count
        self.rate = count / period if count else 0.0  # tokens per second
        self.clock = clock
        self._buckets: Dict[str, Tuple[float, float]] = {}  # key -> (tokens, when)

    async def wait(self, key: str) -> Optional[float]:
        if not self.count:
            return None
        now = self.clock()
        tokens, when = self._buckets.get(key, (float(self.count), now))
        tokens = min(float(self.count), tokens + (now - when) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_TRACKED_KEYS:
                self._forget_full(now)
            return None
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        for key, (tokens, when) in list(self._buckets.items()):
            if tokens + (now - when) * self.rate >= self.count:
                del self._buckets[key]


class RedisWindows:
    """At most `count` messages per key in each window of `period` seconds, counted in Redis
    (INCR + EXPIRE on `<prefix>:<key>:<window number>`)."""

    def __init__(self, count: int, period: float, client: Any, prefix: str, clock: Callable[[], float] = time.time):
        self.count = count
        self.period = period
        self.client = client  # a redis.asyncio.Redis
        self.prefix = prefix
        self.clock = clock

    async def wait(self, key: str) -> Optional[float]:
        if not self.count:
            return None
        now = self.clock()
        window = math.floor(now / self.period)
        name = f"{self.prefix}:{key}:{window}"
        try:
            pipe = self.client.pipeline()
            pipe.incr(name)
            pipe.expire(name, int(math.ceil(self.period)) + 1)
            used, _ = await pipe.execute()
        except Exception as error:  # Redis down: let the message through, say so once per message
            logger.warning("Rate limit not checked (Redis unreachable: %s)", type(error).__name__)
            return None
        if int(used) <= self.count:
            return None
        return max(0.1, (window + 1) * self.period - now)
