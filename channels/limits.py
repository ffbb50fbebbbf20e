"""Settings and a rate limiter for the channels, from the environment."""
import os
import time
from collections import OrderedDict, deque
from typing import Deque


def _int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


# Documented in README.md, "Security and privacy".
MAX_BODY_BYTES = _int("CHAT_MAX_BODY_BYTES", 16_384)
MAX_MESSAGE_CHARS = _int("CHAT_MAX_MESSAGE_CHARS", 1_000)
MAX_SENDER_CHARS = 128
SENDER_PER_MINUTE = _int("CHAT_RATE_PER_SENDER", 20)
ADDRESS_PER_MINUTE = _int("CHAT_RATE_PER_ADDRESS", 120)


class RateLimiter:
    """At most ``limit`` events per key in any ``window`` seconds.

    In memory, per server process; the keys kept are bounded so that a flood
    of new senders cannot grow it without end.
    """

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 50_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._hits: "OrderedDict[str, Deque[float]]" = OrderedDict()

    def allow(self, key: str, now: float = None) -> bool:
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
