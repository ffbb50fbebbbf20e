"""The Slack channel in-process: its pure parts, then its webhook served by a
small Sanic app over loopback, with a stand-in for Rasa and the local fake
Slack Web API (tests/support/fakes/slack_api.py). The real Rasa server: tests/e2e/test_slack.py."""

import asyncio
import itertools
import json
import logging
import secrets
import time
from contextlib import asynccontextmanager
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from channels.idempotency import RetryableMessage
from channels.slack import (
    Incoming,
    RecentIds,
    SlackEventsInput,
    button_blocks,
    from_slack,
    parse_request,
    to_mrkdwn,
)
from tests.support.fakes.slack_api import FakeSlackApi, button_click, message_event, signed_headers
from tests.support.servers import free_port

SECRET = "test-signing-secret"
TOKEN = f"xoxb-test-{secrets.token_hex(8)}"  # made per run: never a real-looking secret in git

# --- text in and out ----------------------------------------------------------------


@pytest.mark.parametrize(
    "slack, typed",
    [
        ("<@U0BOT> how do i reset my password", "how do i reset my password"),
        ("hi <@U0BOT|nhsbot>, help", "hi , help"),
        (
            "see <https://example.org/a?b=1&amp;c=2|the guide> &amp; <https://example.org>",
            "see the guide & https://example.org",
        ),
        (
            "mail <mailto:a.b@example.org|a.b@example.org> in <#C123|general> <!here>",
            "mail a.b@example.org in #general @here",
        ),
        ("1 &lt; 2 &amp;&amp; 3 &gt; 2, literally &amp;lt;", "1 < 2 && 3 > 2, literally &lt;"),
    ],
)
def test_slack_markup_is_turned_back_into_what_the_user_typed(slack, typed):
    assert from_slack(slack) == typed


def test_bot_text_is_escaped_for_mrkdwn():
    assert to_mrkdwn("care.<your ODS code>@x & Profile > Mailboxes") == (
        "care.&lt;your ODS code&gt;@x &amp; Profile &gt; Mailboxes"
    )


def test_buttons_become_a_section_and_an_actions_block_with_unique_action_ids():
    blocks = button_blocks(
        "Pick <one>:",
        [
            {"title": "What will they ask me?", "payload": "/prepare_call"},
            {
                "title": "I work in a pharmacy",
                "payload": '/helpdesk_contact{"org_type": "pharmacy"}',
            },
        ],
    )
    assert blocks == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Pick &lt;one&gt;:"}},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "What will they ask me?", "emoji": True},
                    "value": "/prepare_call",
                    "action_id": "choice_0",
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "I work in a pharmacy", "emoji": True},
                    "value": '/helpdesk_contact{"org_type": "pharmacy"}',
                    "action_id": "choice_1",
                },
            ],
        },
    ]


def test_long_text_and_many_buttons_stay_within_slacks_block_limits():
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(100))  # about 10,000 characters
    blocks = button_blocks(text, [{"title": "t" * 100, "payload": f"/p{i}"} for i in range(30)])
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(s) <= 3000 for s in sections) and "\n".join(sections) == text
    actions = [b["elements"] for b in blocks if b["type"] == "actions"]
    assert [len(a) for a in actions] == [25, 5]
    assert all(len(e["text"]["text"]) == 75 for a in actions for e in a)
    assert len({e["action_id"] for a in actions for e in a}) == 30


# --- reading requests -----------------------------------------------------------------


def test_a_direct_message_is_read_with_its_conversation_id():
    parsed = parse_request(
        "application/json",
        message_event(
            "how do I reset my password &amp; unlock?", user="U1", channel="D1", event_id="Ev1"
        ),
    )
    assert parsed.dedup_key == "Ev1"
    assert parsed.message == Incoming("U1", "D1", None, "how do I reset my password & unlock?")
    assert parsed.message.sender_id == "U1_D1"


def test_a_thread_is_a_conversation_of_its_own():
    parsed = parse_request(
        "application/json",
        message_event("hi", user="U1", channel="D1", event_id="Ev2", thread_ts="111.222"),
    )
    assert parsed.message.thread_ts == "111.222"
    assert parsed.message.sender_id == "U1_D1_111.222"


@pytest.mark.parametrize(
    "extra",
    [
        {"bot_id": "B1"},
        {"subtype": "bot_message"},
        {"subtype": "message_changed"},
        {"subtype": "message_deleted"},
        {"user": "U0BOT"},  # our own user
        {"channel_type": "channel"},  # a channel message without a mention
    ],
)
def test_bots_edits_deletions_and_unmentioned_channel_messages_are_ignored(extra):
    user = extra.pop("user", "U1")
    channel_type = extra.pop("channel_type", "im")
    parsed = parse_request(
        "application/json",
        message_event(
            "hello", user=user, channel="C1", event_id="Ev3", channel_type=channel_type, **extra
        ),
    )
    assert parsed.message is None and parsed.dedup_key == "Ev3"


def test_a_mention_in_a_channel_is_read_without_the_mention():
    parsed = parse_request(
        "application/json",
        message_event(
            "<@U0BOT> how do i reset my password",
            user="U1",
            channel="C1",
            event_id="Ev4",
            kind="app_mention",
        ),
    )
    assert parsed.message == Incoming("U1", "C1", None, "how do i reset my password")


def test_a_button_click_sends_its_value_as_the_clicking_users_message():
    parsed = parse_request(
        "application/x-www-form-urlencoded",
        button_click("/prepare_call", user="U2", channel="D1", trigger_id="tr1", thread_ts="5.6"),
    )
    assert parsed.message == Incoming("U2", "D1", "5.6", "/prepare_call")
    assert parsed.dedup_key == "click:tr1"


def test_the_url_check_echoes_the_challenge():
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"}).encode()
    assert parse_request("application/json", body).challenge == "abc123"


@pytest.mark.parametrize(
    "content_type, body, problem",
    [
        ("application/json", b"{not json", "not valid JSON"),
        ("application/json", b"\xff", "not valid UTF-8"),
        ("application/json", b"[1, 2]", "must be a JSON object"),
        ("application/json", b'{"type": "url_verification"}', '"challenge" must be'),
        ("application/json", b'{"type": "event_callback", "event": {}}', '"event_id" must be'),
        (
            "application/json",
            b'{"type": "event_callback", "event_id": "E", "event": []}',
            '"event" must be a JSON object',
        ),
        (
            "application/json",
            b'{"type": "event_callback", "event_id": "E", '
            b'"event": {"type": "message", "channel_type": "im", "text": "x"}}',
            '"event.user" must be',
        ),
        (
            "application/json",
            b'{"type": "event_callback", "event_id": "E", "event": '
            b'{"type": "message", "channel_type": "im", "user": "U", "text": 3}}',
            '"event.text" must be a string',
        ),
        ("application/x-www-form-urlencoded", b"other=1", 'no "payload" field'),
        ("application/x-www-form-urlencoded", b"payload=%7Bnope", "not valid JSON"),
        (
            "application/x-www-form-urlencoded",
            urlencode({"payload": json.dumps({"type": "block_actions", "actions": []})}).encode(),
            '"actions" must be a list',
        ),
    ],
)
def test_malformed_requests_say_what_is_wrong(content_type, body, problem):
    with pytest.raises(ValueError, match=problem):
        parse_request(content_type, body)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
EVENTS = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["event_callback", "url_verification", "other"]),
        "event_id": JSON,
        "challenge": JSON,
        "authorizations": JSON,
        "event": JSON
        | st.fixed_dictionaries(
            {
                "type": st.sampled_from(["message", "app_mention"]),
                "user": JSON,
                "text": JSON,
                "channel": JSON,
                "channel_type": st.sampled_from(["im", "channel"]),
                "thread_ts": JSON,
            }
        ),
    }
)


@settings(max_examples=150, deadline=None)
@given(EVENTS)
def test_any_json_event_is_read_or_refused_with_a_reason_never_a_crash(body):
    try:
        parse_request("application/json", json.dumps(body).encode())
    except ValueError:
        pass


# --- de-duplication --------------------------------------------------------------------


def test_an_event_id_is_taken_once_within_the_ttl():
    seen = RecentIds(max_size=10, ttl=3600)
    assert seen.add("Ev1", now=0) and not seen.add("Ev1", now=10)
    assert seen.add("Ev1", now=3601)  # Slack stopped retrying long before


def test_the_ids_kept_are_bounded():
    seen = RecentIds(max_size=100, ttl=3600)
    for i in range(1_000):
        seen.add(f"Ev{i}", now=i / 1000)
    assert len(seen) == 100
    assert not seen.add("Ev999", now=1) and seen.add("Ev0", now=1)


# --- the webhook, served -----------------------------------------------------------------

_apps = itertools.count()


@asynccontextmanager
async def serve(channel: SlackEventsInput, on_new_message):
    """The channel's blueprint on a real Sanic server on a free loopback port."""
    app = Sanic(f"slack_test_{next(_apps)}")
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/slack")
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    await server.startup()
    await server.start_serving()
    try:
        async with aiohttp.ClientSession() as session:
            yield session, f"http://127.0.0.1:{port}/webhooks/slack/webhook"
    finally:
        server.close()
        await server.wait_closed()


async def wait_posts(api: FakeSlackApi, channel: str, count: int, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while len(api.posts_to(channel)) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    return api.posts_to(channel)


@pytest.fixture
def sanic_test_mode(monkeypatch):
    """Sanic 21.12 rewrites its request handling once per process unless in test
    mode, which breaks a second server in the same process."""
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
def api():
    fake = FakeSlackApi(TOKEN, SECRET)
    yield fake
    fake.close()


@pytest.fixture
def configured(api, monkeypatch, sanic_test_mode):
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_API_URL", api.url)
    return SlackEventsInput.from_credentials(None)


def test_without_its_variables_the_channel_is_off_with_one_log_line_and_answers_503(
    monkeypatch, caplog, sanic_test_mode
):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    with caplog.at_level(logging.WARNING):
        channel = SlackEventsInput.from_credentials(None)
    assert [r.getMessage() for r in caplog.records if r.name == "channels.settings"] == [
        "Slack channel is off: set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET to switch it on "
        "(docs/channels.md)."
    ]

    async def scenario():
        async with serve(channel, None) as (session, url):
            async with session.post(url, data=b"{}") as answer:
                return answer.status, await answer.json()

    assert asyncio.run(scenario()) == (503, {"error": "Slack channel is not configured"})


def test_the_api_url_defaults_to_slacks_own(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.delenv("SLACK_API_URL", raising=False)
    channel = SlackEventsInput.from_credentials(None)
    assert channel.client.base_url == "https://slack.com/api/"


def test_slack_gets_its_200_before_a_slow_turn_ends_then_the_reply_is_posted(configured, api):
    async def scenario():
        turn_may_end = asyncio.Event()

        async def slow_rasa(message: UserMessage):
            await turn_may_end.wait()
            await message.output_channel.send_text_message(message.sender_id, "Answer & <more>")

        async with serve(configured, slow_rasa) as (session, url):
            body = message_event("hi", user="U1", channel="D1", event_id="EvSlow")
            started = time.monotonic()
            async with session.post(url, data=body, headers=signed_headers(SECRET, body)) as answer:
                status, waited = answer.status, time.monotonic() - started
            assert api.posts_to("D1") == []  # the turn is still running
            turn_may_end.set()
            return status, waited, await wait_posts(api, "D1", 1)

    status, waited, posts = asyncio.run(scenario())
    assert status == 200 and waited < 1
    assert [(p["text"], p.get("thread_ts")) for p in posts] == [("Answer &amp; &lt;more&gt;", None)]


def test_a_retry_reaching_another_server_is_dropped_there_by_its_stored_event_id(configured, api):
    """The event id goes to Rasa as the message id, not to be answered twice
    (channels/idempotency.py): Rasa posts before it stores, so stored means posted."""

    async def scenario():
        got = []

        async def rasa(message: UserMessage):
            got.append(message)

        async with serve(configured, rasa) as (session, url):
            body = message_event("hi", user="U1", channel="D1", event_id="EvOnce")
            async with session.post(url, data=body, headers=signed_headers(SECRET, body)):
                pass
            deadline = time.monotonic() + 5
            while not got and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
        return got

    [message] = asyncio.run(scenario())
    assert isinstance(message, RetryableMessage)
    assert (message.message_id, message.replay, message.text) == ("EvOnce", False, "hi")


def test_a_turn_that_fails_is_apologised_for_and_the_webhook_still_answers_200(configured, api):
    async def broken_rasa(message: UserMessage):
        raise RuntimeError("the model is gone")

    async def scenario():
        async with serve(configured, broken_rasa) as (session, url):
            body = message_event("hi", user="U1", channel="D9", event_id="EvBroken")
            async with session.post(url, data=body, headers=signed_headers(SECRET, body)) as answer:
                return answer.status, await wait_posts(api, "D9", 1)

    status, posts = asyncio.run(scenario())
    assert status == 200
    assert [p["text"] for p in posts] == [to_mrkdwn(configured.turns.reply("unavailable"))]


def test_bad_signatures_are_refused_with_401_and_nothing_reaches_rasa(configured, api):
    seen = []

    async def rasa(message: UserMessage):
        seen.append(message.text)

    body = message_event("hi", user="U1", channel="D1", event_id="EvBad")
    stale = signed_headers(SECRET, body, timestamp=int(time.time()) - 600)
    wrong_secret = signed_headers("not-the-secret", body)
    garbage_time = dict(signed_headers(SECRET, body), **{"X-Slack-Request-Timestamp": "soon"})

    async def scenario():
        async with serve(configured, rasa) as (session, url):
            statuses = []
            for headers, data in [
                ({"Content-Type": "application/json"}, body),
                (stale, body),
                (wrong_secret, body),
                (garbage_time, body),
                (signed_headers(SECRET, body), body.replace(b"hi", b"ho")),
            ]:
                async with session.post(url, data=data, headers=headers) as answer:
                    statuses.append((answer.status, (await answer.json())["error"]))
            await asyncio.sleep(0.2)
            return statuses

    assert asyncio.run(scenario()) == [(401, "The request is not signed by Slack, or too old.")] * 5
    assert seen == [] and api.posts == []
