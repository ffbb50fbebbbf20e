"""The channels' state (channels/state.py) without a Redis: the in-memory
default, which each server keeps for itself, the choice made by the settings,
the keys, and a Redis that accepts connections but never answers. The shared
state on a real Redis, and Redis going down: test_shared_state.py."""

import logging
import socket
import time

import pytest

from channels import state
from channels.guard import MessageGuard
from channels.teams import OfferedButtons


def test_by_default_each_server_keeps_its_own_limits(monkeypatch):
    """One machine's behaviour: two servers in memory count a sender apart,
    so together they let it send twice the limit (the cluster uses Redis)."""
    monkeypatch.setenv("CHAT_RATE_PER_SENDER", "3")
    assert isinstance(state.get_state(), state.InMemory)
    first, second = MessageGuard("rest"), MessageGuard("rest")
    answers = [(first, second)[n % 2].refusal("sender-1", "hello") for n in range(8)]
    assert answers == [None] * 6 + ["rate_limited"] * 2


def test_channel_state_redis_gives_every_channel_one_shared_state_and_connects_to_nothing_yet(
    monkeypatch,
):
    for name, value in {
        "CHANNEL_STATE": "redis",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": "6379",  # the unit layer refuses a connection to it: none is made
        "REDIS_DB": "3",
        "CHANNEL_STATE_PREFIX": "site-a:channels",
        "CHANNEL_STATE_TIMEOUT": "0.3",
    }.items():
        monkeypatch.setenv(name, value)
    shared = state.get_state()
    assert isinstance(shared, state.InRedis)
    assert state.get_state() is shared  # one per process: one warning per outage
    assert (shared.where, shared.prefix) == ("127.0.0.1:6379", "site-a:channels")
    kwargs = shared.client.connection_pool.connection_kwargs
    assert (kwargs["db"], kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (
        3,
        0.3,
        0.3,
    )
    guard = MessageGuard("rest")
    assert isinstance(guard.per_sender, state.RedisRateLimit)
    assert guard.per_sender.name == "rest:sender" and guard.per_address.name == "rest:address"


def test_a_key_names_its_prefix_and_kind_but_never_the_id():
    key = state.redis_key("nhsmail:channels", "rate", "rest:sender", "jane.doe@care.example.org")
    assert key.startswith("nhsmail:channels:rate:rest:sender:")
    assert "jane" not in key and "care.example" not in key
    assert key == state.redis_key(
        "nhsmail:channels", "rate", "rest:sender", "jane.doe@care.example.org"
    )
    assert len(key.rsplit(":", 1)[1]) == 32


def test_offered_buttons_in_memory_match_titles_whatever_their_case_and_keep_the_newest():
    offered = OfferedButtons(state.MemoryMappings(max_owners=2, per_owner=3))
    offered.offer("s1", [{"title": "I work in a Pharmacy", "payload": "/pharmacy"}])
    assert offered.payload("s1", "  i work in a pharmacy ") == "/pharmacy"
    assert offered.payload("s2", "I work in a Pharmacy") is None  # not offered to s2
    offered.offer("s1", [{"title": t, "payload": f"/{t}"} for t in ("a", "b", "c")])
    assert offered.payload("s1", "I work in a Pharmacy") is None  # the oldest of four went
    assert [offered.payload("s1", t) for t in "abc"] == ["/a", "/b", "/c"]
    offered.offer("s1", [{"title": "a", "payload": "/again"}])
    assert offered.payload("s1", "a") == "/again"  # offered again: the new payload
    offered.offer("s2", [{"title": "Yes"}])  # no payload: the title itself
    offered.offer("s3", [{"title": "No", "payload": "/deny"}])
    assert offered.payload("s1", "a") is None  # the oldest sender went
    assert (offered.payload("s2", "yes"), offered.payload("s3", "no")) == ("Yes", "/deny")


@pytest.fixture
def silent_redis():
    """A port that takes connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


def test_a_redis_that_never_answers_costs_one_timeout_per_pause_and_one_warning(
    silent_redis, caplog
):
    shared = state.InRedis("127.0.0.1", silent_redis, 1, "t", timeout=0.2, retry_after=60)
    limit = shared.rate_limit("rest:sender", 2)
    seen = shared.seen_ids("slack", ttl=3600)
    offered = shared.mappings("teams:offered", ttl=60)
    with caplog.at_level(logging.INFO, logger="channels.state"):
        started = time.monotonic()
        assert limit.allow("s")  # waits out the timeout once, then counts here
        first = time.monotonic() - started
        started = time.monotonic()
        answers = [limit.allow("s") for _ in range(20)]
        assert seen.add("Ev1") and not seen.add("Ev1")
        offered.remember("s", {"yes": "/affirm"})
        assert offered.recall("s", "yes") == "/affirm"
        rest = time.monotonic() - started
    assert 0.15 < first < 1.0
    assert rest < 0.1  # no more waits until the pause is over
    assert answers == [True] + [False] * 19  # this server's own limit of 2 meanwhile
    assert not shared.reachable
    warnings = [r for r in caplog.records if r.name == "channels.state"]
    assert [(r.levelname, r.getMessage()) for r in warnings] == [
        (
            "WARNING",
            f"Channel state: Redis at 127.0.0.1:{silent_redis} cannot be reached (TimeoutError); "
            "until it is back, this server keeps its own rate limits, Slack event ids and Teams "
            "buttons (docs/operations.md, 'Shared channel state').",
        )
    ]
