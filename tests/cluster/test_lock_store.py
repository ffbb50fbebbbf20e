"""The lock store's tickets under contention, on the real Redis.

Rasa's RedisLockStore reads, changes and writes a conversation's ticket list in
separate calls; servers issuing tickets at the same moment overwrite each
other's, and then two messages of one conversation run together. Threads stand
in for servers here: each has its own connection, as each server does.
"""

import asyncio
import secrets
import threading
import time

import pytest
import redis
from rasa.core.lock_store import RedisLockStore

from cluster import services
from stores.lock import AtomicRedisLockStore
from tests.support.services import machine_services, unavailable

# The real Redis, in-process: no server of the project's is started.
pytestmark = pytest.mark.integration

ISSUERS, TICKETS_EACH = 4, 25


@pytest.fixture(scope="module")
def machine_redis():
    try:
        with machine_services("redis"):
            yield
    except services.ServiceUnavailable as problem:
        unavailable(f"needs Redis: {problem}")


@pytest.fixture
def prefix(machine_redis):
    prefix = f"locktest{secrets.token_hex(4)}"
    yield prefix
    red = redis.Redis(host=services.HOST, db=1)
    for key in red.scan_iter(f"{prefix}:*"):
        red.delete(key)


def issue_concurrently(store_class, prefix):
    stores = [store_class(host=services.HOST, db=1, key_prefix=prefix) for _ in range(ISSUERS)]
    issued = []

    def issue(store):
        for _ in range(TICKETS_EACH):
            issued.append(store.issue_ticket("conversation", 60))

    threads = [threading.Thread(target=issue, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    lock = stores[0].get_lock("conversation")
    return issued, [t.number for t in lock.tickets]


def test_atomic_tickets_are_all_kept_and_distinct(prefix):
    issued, kept = issue_concurrently(AtomicRedisLockStore, prefix)
    assert sorted(issued) == list(range(ISSUERS * TICKETS_EACH))
    assert kept == list(range(ISSUERS * TICKETS_EACH))


def test_rasas_own_redis_lock_store_loses_tickets_under_the_same_load(prefix):
    """Why stores/lock.py exists (if Rasa fixes this, this test says so)."""
    issued, kept = issue_concurrently(RedisLockStore, prefix)
    assert len(kept) < ISSUERS * TICKETS_EACH or len(set(issued)) < len(issued)


def test_the_key_expires_with_its_last_ticket_and_goes_when_served(prefix):
    store = AtomicRedisLockStore(host=services.HOST, db=1, key_prefix=prefix)
    ticket = store.issue_ticket("c", 30)
    ttl = store.red.pttl(store.key_prefix + "c")
    assert 0 < ttl <= 30_000  # a server killed now blocks "c" for 30 s at most
    store.cleanup("c", ticket)
    assert store.get_lock("c") is None


async def wait_behind_a_dead_ticket(store, prefix) -> float:
    """A killed server's ticket (lifetime 2 s) and, 0.3 s later, a live
    message's: the live one waits for the dead one to expire. Returns how long
    it waited; raises LockError if it was refused."""
    dead = store.issue_ticket("c", 2)  # noqa: F841 (never served: its server is gone)
    await asyncio.sleep(0.3)
    began = time.monotonic()
    async with store.lock("c", lock_lifetime=2, wait_time_in_seconds=0.5) as lock:
        waited = time.monotonic() - began
        assert lock.now_serving != dead
        return waited


def test_a_message_waiting_behind_a_killed_servers_ticket_gets_its_turn(prefix):
    store = AtomicRedisLockStore(host=services.HOST, db=1, key_prefix=prefix)
    waited = asyncio.run(wait_behind_a_dead_ticket(store, prefix))
    assert 1.2 <= waited < 3
    assert store.get_lock("c") is None  # served and cleaned up
