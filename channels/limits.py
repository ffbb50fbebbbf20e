"""The channels' rate limiter; the limits themselves are settings (settings.py)."""

import time
from collections import OrderedDict, deque
from typing import Deque

# The sender id is the conversation's key in every store, so its length is
# fixed, not a setting.
MAX_SENDER_CHARS = 128


class RateLimiter:
    """At most ``limit`` events per key in any ``window`` seconds.

    In memory, per server process; the keys kept are bounded so that a flood
    of new senders cannot grow it without end.
    """

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 50_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._hits: "OrderedDict[str, Deque[float]]" = OrderedDict()

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        hits = self._hits.pop(key, None) or deque()
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        allowed = len(hits) < self.limit
        if allowed:
            hits.append(now)
        self._hits[key] = hits
        while len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)
        return allowed
