"""The Teams channel in a small Sanic app, talked to over loopback HTTP.

Microsoft is the local fake (tests/support/fakes/microsoft.py); Rasa is replaced by a
small ``on_new_message`` that records what reached it and answers, so these
tests see exactly what the channel hands to Rasa.
"""

import asyncio
import logging
import time
from typing import Dict, List

import pytest
import requests
from rasa.core.channels.channel import UserMessage

from channels import teams
from channels.guard import MessageGuard
from channels.idempotency import RetryableMessage
from tests.support.channel_server import ChannelServer
from tests.support.fakes.microsoft import FakeMicrosoft, new_key
from tests.support.servers import free_port

BUTTONS = [
    {"title": "I work in a pharmacy", "payload": "/pharmacy"},
    {"title": "Yes", "payload": "/affirm"},
]


class FakeRasa:
    """Stands in for Rasa: records each message and answers it."""

    def __init__(self) -> None:
        self.received: List[Dict[str, str]] = []
        self.messages: List[UserMessage] = []

    async def __call__(self, message) -> None:
        self.received.append({"sender": message.sender_id, "text": message.text})
        self.messages.append(message)
        out = message.output_channel
        if message.text == "buttons":
            await out.send_text_with_buttons(message.sender_id, "Pick one\nof these", BUTTONS)
        elif message.text == "slow":
            await asyncio.sleep(1)
            await out.send_text_message(message.sender_id, "done at last")
        elif message.text == "boom":
            raise RuntimeError("the tracker store is down")
        else:
            await out.send_text_message(message.sender_id, f"You said: {message.text}\nBye")


def Server(channel: teams.TeamsInput) -> ChannelServer:
    """The Teams channel mounted as Rasa mounts it, in a thread, with FakeRasa."""
    return ChannelServer(channel, "teams", FakeRasa())


@pytest.fixture
def microsoft():
    fake = FakeMicrosoft().start()
    yield fake
    fake.stop()


def channel_from_env(monkeypatch, env: Dict[str, str]) -> teams.TeamsInput:
    for name in (*teams.REQUIRED, *teams.OPTIONAL):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return teams.TeamsInput.from_credentials(None)


@pytest.fixture
def server(microsoft, monkeypatch):
    running = Server(channel_from_env(monkeypatch, microsoft.env())).start()
    running.wait_until_healthy()
    yield running
    running.stop()


def no_reply_within(microsoft, conversation: str, seconds: float = 0.3) -> bool:
    return microsoft.wait_for_replies(conversation, 1, timeout=seconds) == []


# --- pieces, without a server ---------------------------------------------------


@pytest.mark.parametrize(
    "kind, text, expected",
    [
        (
            "channel",
            "<at>NHSmail bot</at> how do i reset my password",
            "how do i reset my password",
        ),
        ("groupChat", '  <at id="0">NHSmail bot</at>\n how do I reset it? ', "how do I reset it?"),
        ("channel", "ask <at>Jane</at> about <at>NHSmail bot</at>", "ask about"),
        ("personal", "how do I reset it?\u200e", "how do I reset it?"),
    ],
)
def test_mentions_are_taken_out_of_channel_and_group_chat_messages(kind, text, expected):
    activity = {"text": text, "conversation": {"id": "c", "conversationType": kind}}
    assert teams.user_text(activity) == expected


def test_buttons_become_a_hero_card_of_imback_buttons_showing_their_titles():
    assert teams.hero_card(BUTTONS) == {
        "contentType": "application/vnd.microsoft.card.hero",
        "content": {
            "buttons": [
                {
                    "type": "imBack",
                    "title": "I work in a pharmacy",
                    "value": "I work in a pharmacy",
                },
                {"type": "imBack", "title": "Yes", "value": "Yes"},
            ]
        },
    }


def test_every_line_of_a_reply_is_its_own_markdown_paragraph():
    assert (
        teams.markdown("Phone: 1\nEmail: 2\n\n1. first  \n2. second\n")
        == "Phone: 1\n\nEmail: 2\n\n1. first\n\n2. second"
    )


def test_one_tracker_per_user_per_conversation_with_a_bounded_id():
    def activity(conversation, user):
        return {"conversation": {"id": conversation}, "from": {"id": "29:x", "aadObjectId": user}}

    first = teams.sender_id(activity("a:" + "c" * 300, "u1"))
    assert first == teams.sender_id(activity("a:" + "c" * 300, "u1"))
    assert first != teams.sender_id(activity("a:" + "c" * 300, "u2"))
    assert first != teams.sender_id(activity("a:other", "u1"))
    assert first.startswith("teams-") and len(first) < 64


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"", "not valid UTF-8 JSON"),
        (b"{not json", "not valid UTF-8 JSON"),
        (b"[1]", "must be a Bot Framework activity"),
        (b'{"text": "hi"}', "must be a Bot Framework activity"),
        (b'{"type": "message", "conversation": {"id": "c"}, "from": {"id": "u"}}', "serviceUrl"),
        (b'{"type": "message", "serviceUrl": "s", "from": {"id": "u"}}', "conversation.id"),
        (
            b'{"type": "message", "serviceUrl": "s", "conversation": {"id": "c"}, "from": 3}',
            "from.id",
        ),
        (
            b'{"type": "message", "serviceUrl": "s", "conversation": {"id": "c"},'
            b' "from": {"id": "u"}, "text": 5}',
            "text must be a string",
        ),
    ],
)
def test_bad_bodies_say_what_is_wrong(body, problem):
    with pytest.raises(ValueError, match=problem):
        teams.parse_activity(body)


# --- off, and offline -------------------------------------------------------------


def test_without_its_settings_the_channel_is_off_with_one_log_line_and_answers_503(
    monkeypatch, caplog
):
    with caplog.at_level(logging.WARNING):
        channel = channel_from_env(monkeypatch, {"TEAMS_APP_ID": "id"})
    assert [r.getMessage() for r in caplog.records if r.name == "channels.settings"] == [
        "Teams channel is off: set TEAMS_APP_PASSWORD, TEAMS_TENANT_ID to switch it on "
        "(docs/channels.md)."
    ]
    server = Server(channel).start()
    try:
        answer = requests.post(server.webhook, json={"type": "message"}, timeout=5)
        assert answer.status_code == 503
        assert answer.json() == {"error": "The Teams channel is not configured."}
        assert server.health() == "off"
    finally:
        server.stop()


def test_offline_at_start_it_answers_503_then_loads_the_keys_when_microsoft_comes_back(monkeypatch):
    later = FakeMicrosoft(port=free_port())  # nothing listens on its port yet
    server = Server(channel_from_env(monkeypatch, later.env())).start()
    try:
        activity = later.message("hello")
        answer = later.post(server.webhook, activity)
        assert answer.status_code == 503
        assert "signing keys are not loaded" in answer.json()["error"]
        assert server.health() == "waiting for keys"
        time.sleep(1.2)  # let it fail at least twice (1 s back-off between)
        later.start()
        server.wait_until_healthy(seconds=10)  # the next retry, 2 s after the second failure
        assert later.post(server.webhook, activity).status_code == 200
        assert (
            later.wait_for_replies(activity["conversation"]["id"])[0]["text"]
            == "You said: hello\n\nBye"
        )
    finally:
        server.stop()
        later.stop()


# --- a good message -----------------------------------------------------------------


def test_a_signed_message_reaches_rasa_and_the_reply_goes_back_into_the_conversation(
    server, microsoft
):
    activity = microsoft.message("how do I reset my password?")
    conversation = activity["conversation"]["id"]
    answer = microsoft.post(server.webhook, activity)
    assert answer.status_code == 200
    assert server.rasa.received == [
        {"sender": teams.sender_id(activity), "text": "how do I reset my password?"}
    ]
    [reply] = microsoft.replies(conversation)  # sent before the request was answered
    assert reply["_path"] == f"/service/v3/conversations/{conversation}/activities/{activity['id']}"
    assert reply["type"] == "message" and reply["textFormat"] == "markdown"
    assert reply["text"] == "You said: how do I reset my password?\n\nBye"
    assert reply["replyToId"] == activity["id"]
    assert reply["from"] == activity["recipient"] and reply["recipient"] == activity["from"]
    assert reply["conversation"] == activity["conversation"]
    # A second message reuses the bot's token.
    assert microsoft.post(server.webhook, microsoft.message("again", conversation)).ok
    assert len(microsoft.replies(conversation)) == 2
    assert microsoft.counts["token"] == 1


def test_an_activity_sent_again_is_dropped_by_its_stored_id(server, microsoft):
    """Microsoft resends an activity whose 200 was slow or lost: its id goes to
    Rasa as the message id (channels/idempotency.py drops a stored one)."""
    activity = microsoft.message("how do I reset my password?")
    assert microsoft.post(server.webhook, activity).ok
    [message] = server.rasa.messages
    assert isinstance(message, RetryableMessage)
    assert (message.message_id, message.replay) == (activity["id"], False)


def test_a_clicked_button_reaches_rasa_as_its_payload(server, microsoft):
    activity = microsoft.message("buttons", conversation_type="channel")
    conversation = activity["conversation"]["id"]
    assert microsoft.post(server.webhook, activity).ok
    [card] = microsoft.replies(conversation)
    assert card["text"] == "Pick one\n\nof these"
    buttons = card["attachments"][0]["content"]["buttons"]
    assert card["attachments"][0]["contentType"] == "application/vnd.microsoft.card.hero"
    # Teams sends an imBack button's value as the user's text (in a channel, after a mention).
    click = microsoft.message(
        f"<at>NHSmail bot</at> {buttons[0]['value']}", conversation, conversation_type="channel"
    )
    assert microsoft.post(server.webhook, click).ok
    assert server.rasa.received[-1]["text"] == "/pharmacy"
    # Another user in the same thread was not offered the buttons: typed text stays text.
    other = microsoft.message("Yes", conversation, user="user-2", conversation_type="channel")
    assert microsoft.post(server.webhook, other).ok
    assert server.rasa.received[-1]["text"] == "Yes"


def test_an_empty_mention_gets_the_polite_reply_and_rasa_is_not_called(server, microsoft):
    activity = microsoft.message("<at>NHSmail bot</at>", conversation_type="channel")
    assert microsoft.post(server.webhook, activity).ok
    [reply] = microsoft.replies(activity["conversation"]["id"])
    assert reply["text"] == teams.markdown(MessageGuard().reply("input_empty"))
    assert server.rasa.received == []


def test_other_activities_are_acknowledged_without_a_reply(server, microsoft):
    activity = dict(microsoft.message(""), type="conversationUpdate", membersAdded=[{"id": "x"}])
    answer = microsoft.post(server.webhook, activity)
    assert answer.status_code == 200 and answer.json() == {"status": "ignored"}
    assert no_reply_within(microsoft, activity["conversation"]["id"])
    assert server.rasa.received == []


@pytest.mark.parametrize("body", [b"{oops", b"[]", b'"message"', b"\xff"])
def test_malformed_bodies_get_400_json(server, body):
    answer = requests.post(
        server.webhook, data=body, timeout=5, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400 and "error" in answer.json()


def test_a_slow_turn_is_answered_202_in_time_and_the_reply_follows(server, microsoft):
    server.channel.answer_within = 0.2
    activity = microsoft.message("slow")
    started = time.monotonic()
    assert microsoft.post(server.webhook, activity).status_code == 202
    assert time.monotonic() - started < 0.9
    assert (
        microsoft.wait_for_replies(activity["conversation"]["id"], timeout=5)[0]["text"]
        == "done at last"
    )


def test_a_failing_turn_gets_the_unavailable_reply(server, microsoft):
    activity = microsoft.message("boom")
    assert microsoft.post(server.webhook, activity).status_code == 200
    [reply] = microsoft.replies(activity["conversation"]["id"])
    assert reply["text"] == teams.markdown(MessageGuard().reply("unavailable"))


# --- refused requests ---------------------------------------------------------------

REFUSED = {
    "no token": (dict(token=""), "a Bearer token is required"),
    "not a JWT": (dict(token="not-a-jwt"), "the token is not a JWT"),
    "another key": (dict(key=new_key()), "the token's signature is wrong"),
    "expired": (dict(exp=int(time.time()) - 400), "the token has expired"),
    "not yet valid": (dict(nbf=int(time.time()) + 400), "the token is not valid yet"),
    "unsigned": (dict(alg="none"), "the token must be signed with RS256"),
    "HS256 (algorithm confusion)": (
        dict(alg="HS256", key="secret"),
        "the token must be signed with RS256",
    ),
    "wrong audience": (dict(aud="another-bot"), "the token is for another bot"),
    "wrong issuer": (dict(iss="https://evil.example"), "the token has the wrong issuer"),
    "unknown kid": (dict(kid="nobody"), "the token's signing key is unknown"),
    "serviceurl elsewhere": (
        dict(serviceurl="http://127.0.0.1:9/steal"),
        "the token's serviceurl does not match the activity",
    ),
    "no expiry": (dict(exp=None), "the token lacks a required claim"),
}


@pytest.fixture(scope="module")
def refusing():
    """One fake Microsoft and one server for every refused request: none of
    them reaches Rasa, so they cannot affect each other (each is its own
    conversation), and the server is started once instead of for each."""
    fake = FakeMicrosoft().start()
    with pytest.MonkeyPatch.context() as monkeypatch:
        running = Server(channel_from_env(monkeypatch, fake.env())).start()
    try:
        running.wait_until_healthy()
        yield running, fake
    finally:
        running.stop()
        fake.stop()


@pytest.mark.parametrize("case", REFUSED)
def test_a_bad_token_gets_401_and_nothing_is_sent(refusing, case):
    server, microsoft = refusing
    claims, reason = REFUSED[case]
    activity = microsoft.message("how do I reset my password?")
    answer = microsoft.post(server.webhook, activity, **claims)
    assert answer.status_code == 401
    assert answer.json() == {"error": f"Unauthorized: {reason}."}
    assert server.rasa.received == []
    assert no_reply_within(microsoft, activity["conversation"]["id"])


def test_a_key_not_endorsed_for_the_channel_is_refused(server, microsoft):
    activity = dict(microsoft.message("hello"), channelId="webchat")
    answer = microsoft.post(server.webhook, activity)
    assert answer.status_code == 401
    assert answer.json() == {
        "error": "Unauthorized: the signing key is not endorsed for this channel."
    }


def test_a_new_kid_reloads_the_keys_but_at_most_once_a_minute(server, microsoft):
    rotated, newer = new_key(), new_key()
    microsoft.published.append(microsoft.jwk(rotated, "rotated"))
    fetched = microsoft.counts["jwks"]
    first = microsoft.message("after rotation")
    assert microsoft.post(server.webhook, first, key=rotated, kid="rotated").status_code == 200
    assert microsoft.counts["jwks"] == fetched + 1
    microsoft.published.append(microsoft.jwk(newer, "newer"))  # rotated again, too soon
    second = microsoft.message("soon after")
    assert microsoft.post(server.webhook, second, key=newer, kid="newer").status_code == 401
    assert microsoft.counts["jwks"] == fetched + 1
