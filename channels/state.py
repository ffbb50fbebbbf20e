"""The channels' short-lived state, kept in this process or shared in Redis.

Three pieces, each behind one small interface (``ChannelState``):

- rate limits (``rate_limit``): the guard's per-sender and per-address limits
  (channels/guard.py), a sliding window per key;
- "first time seen" (``seen_ids``): Slack's event ids, so that a retry is not
  answered twice (channels/slack.py);
- a small mapping per owner (``mappings``): the buttons Teams offered each
  sender, title to payload, so that a click (its title, sent back as text)
  reaches Rasa as the payload (channels/teams.py).

``InMemory`` (``CHANNEL_STATE=memory``, the default) keeps them in the
process, bounded, as one server needs. ``InRedis`` (``CHANNEL_STATE=redis``,
which cluster/launch.py sets for its servers) keeps them in Redis
(``REDIS_HOST``, ``REDIS_PORT``, ``REDIS_DB``), so that every server sees the
same limits, seen ids and offered buttons: a sender gets one limit however
many servers there are, and a retry or a click may reach any of them.

Redis keys start with ``CHANNEL_STATE_PREFIX`` and end with a SHA-256 digest of
the id (a sender, an address, an event id), so no id and no message text is
ever a key; the mapping's fields are digests too, so the text a user types is
never sent to Redis, only its digest.

When Redis cannot be reached, each piece goes on with this process's own
memory, as one server would (docs/operations.md, "Shared channel state"):
rate limits fail open to the per-server limit, a Slack retry may be answered
twice rather than dropped, a Teams click reaches only the server that offered
it and is read as typed text elsewhere. One warning says so per outage, and
one line when Redis is back; no message gets an error for it.

The calls to Redis are synchronous (redis-py), on Sanic's event loop, like
the lock store's: each is one round trip, well under a millisecond on the
local network, and the guard's check is synchronous for every channel. What a
dead Redis costs is bounded instead: the socket waits ``CHANNEL_STATE_TIMEOUT``
(0.2 s) at most to connect and as long for an answer, and after a failure
Redis is left alone for ``RETRY_SECONDS``, so an outage costs one short wait
per pause, not one per message.
"""

import functools
import hashlib
import logging
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from typing import Callable, Mapping, Optional, Protocol, TypeVar

import redis

from channels import limits
from settings import get_settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Seconds Redis is left alone after a failed call before it is tried again.
RETRY_SECONDS = 5.0


class RateLimit(Protocol):
    def allow(self, key: str) -> bool:
        """True when ``key`` may have one more event now (and counts it)."""


class SeenIds(Protocol):
    def add(self, key: str) -> bool:
        """True the first time ``key`` is seen within the TTL, then False."""


class Mappings(Protocol):
    def remember(self, owner: str, mapping: Mapping[str, str]) -> None:
        """Adds ``mapping`` to ``owner``'s (a field given again takes the new value)."""

    def recall(self, owner: str, field: str) -> Optional[str]:
        """The value of ``field`` in ``owner``'s mapping, or None."""


class ChannelState(ABC):
    """Where the channels keep what outlives one message."""

    @abstractmethod
    def rate_limit(self, name: str, limit: int, window: float = 60.0) -> RateLimit:
        """At most ``limit`` events per key in any ``window`` seconds; ``name``
        keeps one limit's keys apart from another's."""

    @abstractmethod
    def seen_ids(self, name: str, ttl: float) -> SeenIds:
        """Ids remembered for ``ttl`` seconds."""

    @abstractmethod
    def mappings(self, name: str, ttl: float) -> Mappings:
        """A small mapping per owner, kept ``ttl`` seconds after its last change
        where it is shared (in memory, until evicted)."""


# --- in this process ------------------------------------------------------------


class RecentIds:
    """The newest ``max_size`` ids, each for ``ttl`` seconds."""

    def __init__(self, max_size: int = 10_000, ttl: float = 3600.0) -> None:
        self.max_size, self.ttl = max_size, ttl
        self._seen: "OrderedDict[str, float]" = OrderedDict()

    def add(self, key: str, now: Optional[float] = None) -> bool:
        """True the first time ``key`` is seen within the TTL, then False."""
        now = time.monotonic() if now is None else now
        while self._seen and now - next(iter(self._seen.values())) >= self.ttl:
            self._seen.popitem(last=False)  # oldest first: insertion order is time order
        if key in self._seen:
            return False
        while len(self._seen) >= self.max_size:
            self._seen.popitem(last=False)
        self._seen[key] = now
        return True

    def __len__(self) -> int:
        return len(self._seen)


class MemoryMappings:
    """The newest ``per_owner`` fields of the newest ``max_owners`` owners."""

    def __init__(self, max_owners: int = 10_000, per_owner: int = 50) -> None:
        self.max_owners, self.per_owner = max_owners, per_owner
        self._owners: "OrderedDict[str, OrderedDict[str, str]]" = OrderedDict()

    def remember(self, owner: str, mapping: Mapping[str, str]) -> None:
        fields = self._owners.pop(owner, None) or OrderedDict()
        for field, value in mapping.items():
            fields.pop(field, None)
            fields[field] = value
        while len(fields) > self.per_owner:
            fields.popitem(last=False)
        self._owners[owner] = fields
        while len(self._owners) > self.max_owners:
            self._owners.popitem(last=False)

    def recall(self, owner: str, field: str) -> Optional[str]:
        fields = self._owners.get(owner)
        return fields.get(field) if fields else None

    def __len__(self) -> int:
        return len(self._owners)


class InMemory(ChannelState):
    """Each server its own state: right for one server process."""

    def rate_limit(self, name: str, limit: int, window: float = 60.0) -> RateLimit:
        return limits.RateLimiter(limit, window)

    def seen_ids(self, name: str, ttl: float) -> SeenIds:
        return RecentIds(ttl=ttl)

    def mappings(self, name: str, ttl: float) -> Mappings:
        return MemoryMappings()


# --- in Redis, shared by every server -------------------------------------------

# A sliding window in one sorted set per key: the hits of the last window,
# scored by the Redis server's clock in milliseconds (one clock for every
# server). One script, so that two servers cannot both take the last place.
# A refused event is not counted, as in limits.RateLimiter.
SLIDING_WINDOW = """
local key, limit, window, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  return 0
end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, math.ceil(window))
return 1
"""

# A mapping that would grow past its bound starts again from the newest fields.
REMEMBER = """
local key, ttl, most = KEYS[1], ARGV[1], tonumber(ARGV[2])
if redis.call('HLEN', key) + (#ARGV - 2) / 2 > most then
  redis.call('DEL', key)
end
redis.call('HSET', key, unpack(ARGV, 3))
redis.call('EXPIRE', key, ttl)
return 1
"""


def digest(value: str) -> str:
    """The part of a key (or field) that stands for an id or a text."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def redis_key(prefix: str, kind: str, name: str, value: str) -> str:
    """``<prefix>:<kind>:<name>:<digest>``, e.g. nhsmail:channels:rate:rest:sender:9f2c..."""
    return f"{prefix}:{kind}:{name}:{digest(value)}"


class InRedis(ChannelState):
    """State shared by every server through one Redis; this process's own
    memory while Redis cannot be reached."""

    def __init__(
        self,
        host: str,
        port: int,
        db: int,
        prefix: str,
        timeout: float = 0.2,
        retry_after: Optional[float] = None,
    ) -> None:
        self.where, self.prefix = f"{host}:{port}", prefix
        self.retry_after = RETRY_SECONDS if retry_after is None else retry_after
        # Synchronous, with short timeouts (see the module's docstring); no
        # connection is made until the first call.
        self.client = redis.Redis(
            host=host,
            port=port,
            db=db,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
        )
        self.sliding_window = self.client.register_script(SLIDING_WINDOW)
        self.remember_script = self.client.register_script(REMEMBER)
        self._lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0

    @property
    def reachable(self) -> bool:
        """False from a failed call until a call succeeds again."""
        return not self._down

    def key(self, kind: str, name: str, value: str) -> str:
        return redis_key(self.prefix, kind, name, value)

    def call(self, command: Callable[[], T]) -> Optional[T]:
        """``command``'s result, or None when Redis cannot be reached (then it
        is not tried again for ``retry_after`` seconds)."""
        with self._lock:
            if self._down and time.monotonic() < self._retry_at:
                return None
        try:
            result = command()
        except (redis.RedisError, OSError) as problem:
            with self._lock:
                first = not self._down
                self._down, self._retry_at = True, time.monotonic() + self.retry_after
            if first:
                logger.warning(
                    "Channel state: Redis at %s cannot be reached (%s); until it is back, "
                    "this server keeps its own rate limits, Slack event ids and Teams "
                    "buttons (docs/operations.md, 'Shared channel state').",
                    self.where,
                    type(problem).__name__,
                )
            return None
        with self._lock:
            was_down, self._down = self._down, False
        if was_down:
            logger.info(
                "Channel state: Redis at %s is back; the state is shared again.", self.where
            )
        return result

    def rate_limit(self, name: str, limit: int, window: float = 60.0) -> RateLimit:
        return RedisRateLimit(self, name, limit, window)

    def seen_ids(self, name: str, ttl: float) -> SeenIds:
        return RedisSeenIds(self, name, ttl)

    def mappings(self, name: str, ttl: float) -> Mappings:
        return RedisMappings(self, name, ttl)


class RedisRateLimit:
    """The sliding window in Redis; this server's own while Redis is away."""

    def __init__(self, state: InRedis, name: str, limit: int, window: float) -> None:
        self.state, self.name, self.limit = state, name, limit
        self.window_ms = window * 1000
        self.local = limits.RateLimiter(limit, window)

    def allow(self, key: str) -> bool:
        allowed = self.state.call(
            lambda: self.state.sliding_window(
                keys=[self.state.key("rate", self.name, key)],
                args=[self.limit, self.window_ms, secrets.token_hex(8)],
            )
        )
        return self.local.allow(key) if allowed is None else bool(allowed)


class RedisSeenIds:
    """``SET key 1 NX EX ttl``: the first server to set it takes the id. This
    server remembers its own too, for when Redis is away. The id is taken
    just before Slack gets its 200, so Slack retries an id taken by a server
    only if that server died within that instant."""

    def __init__(self, state: InRedis, name: str, ttl: float) -> None:
        self.state, self.name, self.ttl = state, name, max(1, int(ttl))
        self.local = RecentIds(ttl=ttl)

    def add(self, key: str) -> bool:
        first_here = self.local.add(key)
        first_anywhere = self.state.call(
            # SET NX answers None when the key was there: False here, as None means unreachable.
            lambda: bool(
                self.state.client.set(
                    self.state.key("seen", self.name, key), 1, nx=True, ex=self.ttl
                )
            )
        )
        return first_here and first_anywhere is not False


class RedisMappings:
    """One Redis hash per owner, fields by digest; this server keeps its own
    copy too, asked when Redis is away or does not have the field."""

    def __init__(self, state: InRedis, name: str, ttl: float, per_owner: int = 50) -> None:
        self.state, self.name, self.per_owner = state, name, per_owner
        self.ttl = max(1, int(ttl))
        self.local = MemoryMappings(per_owner=per_owner)

    def remember(self, owner: str, mapping: Mapping[str, str]) -> None:
        self.local.remember(owner, mapping)
        if not mapping:
            return
        pairs = [part for field, value in mapping.items() for part in (digest(field), value)]
        self.state.call(
            lambda: self.state.remember_script(
                keys=[self.state.key("map", self.name, owner)],
                args=[self.ttl, self.per_owner, *pairs],
            )
        )

    def recall(self, owner: str, field: str) -> Optional[str]:
        value = self.state.call(
            lambda: self.state.client.hget(self.state.key("map", self.name, owner), digest(field))
        )
        if value is not None:
            return value.decode("utf-8") if isinstance(value, bytes) else str(value)
        return self.local.recall(owner, field)


# --- this process's state, from the settings ------------------------------------

IN_MEMORY = InMemory()


def get_state() -> ChannelState:
    """This process's channel state, as the settings say (CHANNEL_STATE): one
    per process, so that an outage is one warning however many channels."""
    settings = get_settings()
    if settings.channel_state == "memory":
        return IN_MEMORY
    return _in_redis(
        settings.redis_host,
        settings.redis_port,
        settings.redis_db,
        settings.channel_state_prefix,
        settings.channel_state_timeout,
    )


@functools.lru_cache(maxsize=None)
def _in_redis(host: str, port: int, db: int, prefix: str, timeout: float) -> InRedis:
    return InRedis(host, port, db, prefix, timeout)
