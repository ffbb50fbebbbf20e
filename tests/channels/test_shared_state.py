"""Two servers sharing the channels' state in a real Redis (channels/state.py).

Each "server" is a channel of its own with its own ``InRedis`` (its own
connection and its own memory, as each process has): on the machine's Redis
under a key prefix of the test's own (deleted after), or on a private
redis-server the test stops to take Redis away. Rasa is a stand-in that
records what reaches it (tests/support/channel_server.py); the real Rasa
server with the cluster's settings: tests/cluster/test_cluster.py.
"""

import asyncio
import logging
import secrets
import time

import pytest
import redis
import requests

from actions.content import get_content
from channels import state
from channels.rest import GuardedRestInput
from channels.slack import SlackEventsInput
from channels.teams import TeamsInput
from channels.turn import Refused, Turns
from cluster import services
from tests.support.channel_server import ChannelServer
from tests.support.fakes.microsoft import ISSUER, FakeMicrosoft
from tests.support.fakes.slack_api import FakeSlackApi, message_event, signed_headers
from tests.support.redis_server import DB, keys_under, machine_redis_prefix, private_redis

# A real Redis, in-process: no server of the project's is started.
pytestmark = pytest.mark.integration

MACHINE_REDIS = (services.HOST, services.PORTS["redis"])
CONTENT = get_content()
RATE_LIMITED = CONTENT.fill(CONTENT.messages["rate_limited"])


@pytest.fixture
def prefix():
    with machine_redis_prefix() as prefix:
        yield prefix


def server_state(prefix: str, port: int = MACHINE_REDIS[1], **options) -> state.InRedis:
    """One server's state: its own client and memory, the shared keys."""
    return state.InRedis(MACHINE_REDIS[0], port, DB, prefix, **options)


def run_turns(turns_of, messages):
    """Each (server, sender, address) through that server's guarded turn:
    "answered" or the refusal's key, and what reached Rasa."""
    reached = []

    async def rasa(message):
        reached.append((message.sender_id, message.text))

    async def all_of_them():
        outcomes = []
        for n, (server, sender, address) in enumerate(messages):
            try:
                await turns_of[server].run(
                    rasa, None, sender=sender, text=f"question {n}", channel="rest", address=address
                )
                outcomes.append("answered")
            except Refused as refused:
                outcomes.append(refused.key)
        return outcomes

    return asyncio.run(all_of_them()), reached


# --- the rate limits ---------------------------------------------------------------


def test_one_senders_limit_holds_across_two_servers(prefix, monkeypatch):
    monkeypatch.setenv("CHAT_RATE_PER_SENDER", "5")
    servers = {name: Turns("rest", server_state(prefix)) for name in "ab"}
    order = "ababababba"  # the sixth message and every later one, on either server
    outcomes, reached = run_turns(servers, [(s, "care-worker-1", None) for s in order])
    assert outcomes == ["answered"] * 5 + ["rate_limited"] * 5
    assert [text for _, text in reached] == [f"question {n}" for n in range(5)]
    # Another sender has a limit of its own.
    assert run_turns(servers, [("b", "care-worker-2", None)])[0] == ["answered"]
    keys = keys_under(prefix)
    sender_key = state.redis_key(prefix, "rate", "rest:sender", "care-worker-1")
    assert sender_key in keys and not any("care-worker" in key for key in keys)
    client = redis.Redis(*MACHINE_REDIS, db=DB)
    assert client.zcard(sender_key) == 5  # refused messages are not counted
    assert 0 < client.pttl(sender_key) <= 60_000


def test_one_addresses_limit_holds_across_two_servers(prefix, monkeypatch):
    monkeypatch.setenv("CHAT_RATE_PER_ADDRESS", "4")
    servers = {name: Turns("rest", server_state(prefix)) for name in "ab"}
    messages = [("ab"[n % 2], f"sender-{n}", "198.51.100.23") for n in range(7)]
    outcomes, _ = run_turns(servers, messages)
    assert outcomes == ["answered"] * 4 + ["rate_limited"] * 3
    assert not any("198.51" in key for key in keys_under(prefix))
    # The socket.io channel's limits are its own, as on one server.
    other = {"a": Turns("socketio", server_state(prefix))}
    assert run_turns(other, [("a", "sender-x", "198.51.100.23")])[0] == ["answered"]


def test_the_window_slides_on_the_redis_clock(prefix):
    limit = server_state(prefix).rate_limit("rest:sender", 2, window=0.5)
    other_server = server_state(prefix).rate_limit("rest:sender", 2, window=0.5)
    assert [limit.allow("s"), other_server.allow("s"), limit.allow("s")] == [True, True, False]
    time.sleep(0.6)
    assert other_server.allow("s") and limit.allow("s") and not limit.allow("s")


# --- Slack's retries ---------------------------------------------------------------


@pytest.fixture
def slack_api():
    # Made per run, as in tests/channels/test_slack.py: never a real-looking secret in git.
    fake = FakeSlackApi(
        token=f"xoxb-test-{secrets.token_hex(8)}", signing_secret=secrets.token_hex(16)
    )
    yield fake
    fake.close()


def slack_servers(slack_api, states):
    settings = {
        "SLACK_BOT_TOKEN": slack_api.token,
        "SLACK_SIGNING_SECRET": slack_api.signing_secret,
        "SLACK_API_URL": slack_api.url,
    }
    return [ChannelServer(SlackEventsInput(settings, s), "slack").start() for s in states]


def send_event_then_its_retry(slack_api, first, second, event_id):
    body = message_event("hi", user="U1", channel="D1", event_id=event_id)
    secret = slack_api.signing_secret
    answer = requests.post(first.webhook, data=body, headers=signed_headers(secret, body))
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    assert first.rasa.wait_for(1) == [{"sender": "U1_D1", "text": "hi"}]
    slack_api.wait_for("D1", lambda posts: len(posts) == 1, timeout=10)
    # Slack got no 200 in time, as it thinks, and retries: nginx sends it to the other server.
    retry = requests.post(second.webhook, data=body, headers=signed_headers(secret, body, retry=1))
    assert (retry.status_code, retry.json()) == (200, {"ok": True})


def test_a_slack_retry_reaching_the_other_server_is_dropped_there(prefix, slack_api):
    first, second = slack_servers(slack_api, [server_state(prefix), server_state(prefix)])
    try:
        send_event_then_its_retry(slack_api, first, second, "Ev0SHARED1")
        time.sleep(0.5)  # what the second server would do, it would have done by now
        assert second.rasa.received == []
        assert [p["text"] for p in slack_api.posts_to("D1")] == ["You said: hi"]
    finally:
        first.stop()
        second.stop()
    [seen] = [key for key in keys_under(prefix) if ":seen:" in key]
    assert seen == state.redis_key(prefix, "seen", "slack", "Ev0SHARED1")


def test_with_each_server_in_its_own_memory_that_retry_is_answered_twice(slack_api):
    """Why the cluster shares the seen ids (the stand-in here has no stored
    turns, so channels/idempotency.py cannot catch it either)."""
    first, second = slack_servers(slack_api, [state.InMemory(), state.InMemory()])
    try:
        send_event_then_its_retry(slack_api, first, second, "Ev0MEMORY1")
        assert second.rasa.wait_for(1) == [{"sender": "U1_D1", "text": "hi"}]
        posts = slack_api.wait_for("D1", lambda posts: len(posts) == 2, timeout=10)
        assert [p["text"] for p in posts] == ["You said: hi", "You said: hi"]
    finally:
        first.stop()
        second.stop()


# --- Teams' buttons ----------------------------------------------------------------


@pytest.fixture
def microsoft():
    fake = FakeMicrosoft().start()
    yield fake
    fake.stop()


def teams_servers(microsoft, states):
    settings = dict(microsoft.env(), TEAMS_ISSUER=ISSUER)
    return [
        ChannelServer(TeamsInput(settings, state=s), "teams").start().wait_until_healthy()
        for s in states
    ]


def test_a_teams_click_reaching_the_other_server_is_mapped_to_its_payload(prefix, microsoft):
    first, second = teams_servers(microsoft, [server_state(prefix), server_state(prefix)])
    try:
        offer = microsoft.message("buttons")
        conversation = offer["conversation"]["id"]
        assert microsoft.post(first.webhook, offer).ok
        [card] = microsoft.wait_for_replies(conversation, 1)
        titles = [b["value"] for b in card["attachments"][0]["content"]["buttons"]]
        assert titles == ["I work in a pharmacy", "Yes"]
        # Teams sends the clicked button's title back as text, here to the other server.
        assert microsoft.post(second.webhook, microsoft.message(titles[0], conversation)).ok
        assert second.rasa.received[-1]["text"] == "/pharmacy"
        assert microsoft.post(first.webhook, microsoft.message("YES", conversation)).ok
        assert first.rasa.received[-1]["text"] == "/affirm"
        # Another user in the conversation was offered nothing: the title stays text.
        other = microsoft.message("Yes", conversation, user="user-2")
        assert microsoft.post(second.webhook, other).ok
        assert second.rasa.received[-1]["text"] == "Yes"
    finally:
        first.stop()
        second.stop()
    [mapping] = [key for key in keys_under(prefix) if ":map:" in key]
    fields = redis.Redis(*MACHINE_REDIS, db=DB).hgetall(mapping)
    # Fields are digests of the titles; the payloads are the bot's own.
    assert sorted(fields.values()) == [b"/affirm", b"/pharmacy"]
    assert not any(b"pharmacy" in field or b"yes" in field for field in fields)


# --- Redis down ----------------------------------------------------------------------


def state_warnings(caplog):
    return [
        (r.levelname, r.getMessage())
        for r in caplog.records
        if r.name == "channels.state" and r.levelno >= logging.INFO
    ]


def test_with_redis_down_each_server_goes_on_with_its_own_state_then_shares_again(caplog):
    with private_redis() as server, caplog.at_level(logging.INFO, logger="channels.state"):
        a, b = (server_state("t", server.port, retry_after=0.5) for _ in range(2))
        limits = [s.rate_limit("rest:sender", 2) for s in (a, b)]
        seen = [s.seen_ids("slack", ttl=3600) for s in (a, b)]
        offered = [s.mappings("teams:offered", ttl=60) for s in (a, b)]
        assert [limits[0].allow("s"), limits[1].allow("s"), limits[0].allow("s")] == [
            True,
            True,
            False,
        ]
        server.stop()
        started = time.monotonic()
        # Rate limits fail open to each server's own: two each, not two in all.
        assert [limits[0].allow("t") for _ in range(3)] == [True, True, False]
        assert [limits[1].allow("t") for _ in range(3)] == [True, True, False]
        # Slack: a retry to the same server is still dropped; to the other, answered again.
        assert seen[0].add("Ev1") and not seen[0].add("Ev1") and seen[1].add("Ev1")
        # Teams: a click on the server that offered the button is mapped; elsewhere, text.
        offered[0].remember("sender", {"yes": "/affirm"})
        assert offered[0].recall("sender", "yes") == "/affirm"
        assert offered[1].recall("sender", "yes") is None
        assert time.monotonic() - started < 1.0  # no message waited for the dead Redis
        down = state_warnings(caplog)
        assert len(down) == 2  # one line per server for the whole outage
        assert all(
            level == "WARNING"
            and text.startswith(
                f"Channel state: Redis at 127.0.0.1:{server.port} cannot be reached"
            )
            for level, text in down
        )
        server.start()  # the same port, empty
        time.sleep(0.6)  # the servers' pause before trying Redis again
        assert limits[0].allow("u") and limits[1].allow("u") and not limits[0].allow("u")
        assert (
            state_warnings(caplog)[2:]
            == [
                (
                    "INFO",
                    f"Channel state: Redis at 127.0.0.1:{server.port} is back; the state is shared again.",
                )
            ]
            * 2
        )
        assert a.reachable and b.reachable


def test_with_redis_down_a_rest_turn_still_answers_and_one_warning_is_logged(monkeypatch, caplog):
    with private_redis() as server, caplog.at_level(logging.INFO, logger="channels.state"):
        for name, value in {
            "CHANNEL_STATE": "redis",
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(server.port),
            "REDIS_DB": str(DB),
            "CHANNEL_STATE_PREFIX": "rest-test",
            "CHAT_RATE_PER_SENDER": "3",
        }.items():
            monkeypatch.setenv(name, value)
        rest = ChannelServer(GuardedRestInput(), "rest").start()
        try:

            def say(sender, text):
                answer = requests.post(
                    rest.webhook, json={"sender": sender, "message": text}, timeout=10
                )
                return answer.status_code, [r["text"] for r in answer.json()]

            assert say("night-shift", "hello") == (200, ["You said: hello"])
            key = state.redis_key("rest-test", "rate", "rest:sender", "night-shift")
            assert redis.Redis(port=server.port, db=DB).zcard(key) == 1  # the shared limit
            server.stop()
            answers = [say("night-shift", f"question {n}") for n in range(5)]
        finally:
            rest.stop()
    # The server's own limit meanwhile: 3 answers, then the polite 429; never a 500.
    assert (
        answers
        == [(200, [f"You said: question {n}"]) for n in range(3)] + [(429, [RATE_LIMITED])] * 2
    )
    assert [level for level, _ in state_warnings(caplog)] == ["WARNING"]
