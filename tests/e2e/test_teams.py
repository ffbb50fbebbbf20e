"""End to end: Teams activities, signed by the local fake Microsoft, sent to the
real Rasa server; its replies are read where the fake Bot Connector got them.

The servers are started once (tests/e2e/conftest.py), with the Teams
channel pointed at the fake.
"""

import time

import pytest
import requests

from channels.teams import sender_id
from tests.support import feedback
from tests.support.fakes.microsoft import new_key
from tests.support.servers import stored_events


@pytest.fixture(scope="module")
def webhook(servers):
    """The Teams webhook, once the channel has loaded the fake's keys (bounded wait)."""
    channel = f"{servers['url']}/webhooks/teams"
    deadline = time.monotonic() + 15
    while requests.get(f"{channel}/", timeout=5).json()["status"] != "ok":
        assert time.monotonic() < deadline, "the Teams channel never loaded its keys"
        time.sleep(0.2)
    return f"{channel}/webhook"


def ask(microsoft, webhook, activity):
    """Posts a signed activity; the replies the fake Bot Connector got for it."""
    conversation = activity["conversation"]["id"]
    before = len(microsoft.replies(conversation))
    answer = microsoft.post(webhook, activity)
    assert answer.status_code == 200, answer.text
    return microsoft.wait_for_replies(conversation, before + 1)[before:]


def text_of(replies):
    return "\n".join(r["text"] for r in replies)


def test_a_password_question_gets_the_helpdesk_number_with_buttons_on_a_hero_card(
    microsoft, webhook, content
):
    replies = ask(
        microsoft, webhook, microsoft.message("how do I reset my password?", user="e2e-teams-1")
    )
    answer, vote = replies
    assert f"Phone: {content.facts['helpdesk_phone']}" in answer["text"]
    assert vote["text"] == feedback.question(content)
    [card] = answer["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.hero"
    buttons = card["content"]["buttons"]
    assert {
        "type": "imBack",
        "title": "What will they ask me?",
        "value": "What will they ask me?",
    } in buttons


def test_a_channel_message_that_mentions_the_bot_is_answered_the_same(microsoft, webhook, content):
    activity = microsoft.message(
        "<at>NHSmail bot</at> how do i reset my password",
        user="e2e-teams-2",
        conversation_type="channel",
    )
    assert f"Phone: {content.facts['helpdesk_phone']}" in text_of(ask(microsoft, webhook, activity))


def test_clicking_a_button_gives_that_buttons_answer(servers, microsoft, webhook, content):
    first = microsoft.message("how do I reset my password?", user="e2e-teams-3")
    replies = ask(microsoft, webhook, first)
    # The answer's card; the "Did this help?" card comes after it.
    buttons = replies[0]["attachments"][0]["content"]["buttons"]
    pharmacy = next(b for b in buttons if b["title"] == "I work in a pharmacy")
    # Teams sends an imBack button's value back as the user's message.
    click = microsoft.message(pharmacy["value"], first["conversation"]["id"], user="e2e-teams-3")
    label = content.org_types["pharmacy"]["label"]
    assert f"Choose your organisation type: {label}." in text_of(ask(microsoft, webhook, click))
    sent = [e["text"] for e in stored_events(servers, sender_id(click)) if e["event"] == "user"]
    assert sent[-1] == '/helpdesk_contact{"org_type": "pharmacy"}'


def test_a_typed_password_is_warned_about_and_masked_in_the_tracker_store(
    servers, microsoft, webhook
):
    activity = microsoft.message("my password is Fluffy22 and it doesnt work", user="e2e-teams-4")
    text = text_of(ask(microsoft, webhook, activity))
    assert "don't type passwords" in text and "Fluffy22" not in text
    stored = str(stored_events(servers, sender_id(activity)))
    assert "[password removed]" in stored and "Fluffy22" not in stored


@pytest.mark.parametrize(
    "case, claims",
    [
        ("another key's signature", dict(key=new_key())),
        ("expired", dict(exp=int(time.time()) - 3600)),
        ("unsigned", dict(alg="none")),
        ("wrong audience", dict(aud="some-other-bot")),
        ("serviceurl elsewhere", dict(serviceurl="http://127.0.0.1:9/elsewhere")),
    ],
)
def test_a_request_without_microsofts_valid_token_gets_401_and_no_reply(
    microsoft, webhook, case, claims
):
    activity = microsoft.message("how do I reset my password?", user="e2e-teams-5")
    answer = microsoft.post(webhook, activity, **claims)
    assert answer.status_code == 401 and answer.json()["error"].startswith("Unauthorized")
    assert microsoft.wait_for_replies(activity["conversation"]["id"], timeout=1) == []


def test_did_this_help_is_its_own_hero_card_and_a_click_on_no_gets_the_helpdesk(
    servers, microsoft, webhook, content
):
    first = microsoft.message("how do I reset my password?", user="e2e-teams-vote")
    replies = ask(microsoft, webhook, first)
    assert f"Phone: {content.facts['helpdesk_phone']}" in replies[0]["text"]
    vote = replies[-1]
    assert vote["text"] == feedback.question(content)
    [card] = vote["attachments"]
    assert card["content"]["buttons"] == [
        {"type": "imBack", "title": b["title"], "value": b["title"]}
        for b in feedback.buttons(content)
    ]
    # A click sends the title back; the channel turns it into the payload.
    click = microsoft.message(
        content.messages["feedback_no_button"], first["conversation"]["id"], user="e2e-teams-vote"
    )
    [sorry] = ask(microsoft, webhook, click)
    assert sorry["text"] == feedback.sorry(content)
    assert feedback.sorry_has_the_helpdesk(content, sorry["text"])
    sent = [e["text"] for e in stored_events(servers, sender_id(click)) if e["event"] == "user"]
    assert sent == ["how do I reset my password?", feedback.NO]
