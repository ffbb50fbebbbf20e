"""End to end: Slack's requests, signed as Slack signs them, to the real Rasa
server, whose replies go to the local fake Slack Web API (tests/support/fakes/slack_api.py).

Each test uses its own Slack user and channel, so conversations and rate limits
stay apart. "No reply" is checked after a bounded quiet time.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from actions.guidance import identity_checklist_lines
from channels.slack import to_mrkdwn
from tests.support import feedback
from tests.support.fakes.slack_api import button_click, message_event, signed_headers
from tests.support.servers import stored_events

QUIET = 1.5  # seconds without a post before "no reply" is believed
FORM = "application/x-www-form-urlencoded"


def post(servers, body: bytes, headers) -> requests.Response:
    return requests.post(
        f"{servers['url']}/webhooks/slack/webhook", data=body, headers=headers, timeout=10
    )


def send(servers, api, body: bytes, content_type: str = "application/json", **signing):
    return post(servers, body, signed_headers(api.signing_secret, body, content_type, **signing))


def user_texts(servers, sender: str, count: int, timeout: float = 10.0):
    """The user messages stored for ``sender`` once there are ``count``: Rasa
    saves the conversation just after the replies are posted."""
    deadline = time.monotonic() + timeout
    while True:
        texts = [e.get("text") for e in stored_events(servers, sender) if e["event"] == "user"]
        if len(texts) >= count or time.monotonic() > deadline:
            return texts
        time.sleep(0.05)


def phone(content) -> str:
    return content.facts["helpdesk_phone"]


def test_a_signed_direct_message_is_acked_at_once_and_answered_with_the_helpdesk(
    servers, slack_api, content
):
    body = message_event(
        "how do I reset my password?", user="U1DM", channel="D1DM", event_id="EvDM1"
    )
    started = time.monotonic()
    answer = send(servers, slack_api, body)
    assert answer.status_code == 200 and time.monotonic() - started < 2  # Slack waits 3 s
    posts = slack_api.wait_for_text("D1DM", phone(content))
    reply = next(p for p in posts if phone(content) in p["text"])
    assert f"Phone: {phone(content)}" in reply["text"] and reply.get("thread_ts") is None
    # The answer's buttons, as Block Kit.
    assert reply["blocks"][0]["type"] == "section"
    assert phone(content) in reply["blocks"][0]["text"]["text"]
    buttons = reply["blocks"][-1]["elements"]
    assert reply["blocks"][-1]["type"] == "actions"
    assert [b["value"] for b in buttons][0] == "/prepare_call"
    assert len({b["action_id"] for b in buttons}) == len(buttons)


def test_a_button_click_answers_as_if_the_user_had_typed_its_value(servers, slack_api, content):
    first = message_event(
        "how do I reset my password?", user="U1CLICK", channel="D1CLICK", event_id="EvClick1"
    )
    assert send(servers, slack_api, first).status_code == 200
    posts = slack_api.wait_for_text("D1CLICK", phone(content))
    value = next(
        e["value"]
        for p in posts
        for b in p.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
        if e["value"] == "/prepare_call"
    )
    click = button_click(value, user="U1CLICK", channel="D1CLICK", trigger_id="trig-1")
    assert send(servers, slack_api, click, FORM).status_code == 200
    slack_api.wait_for_text("D1CLICK", to_mrkdwn(identity_checklist_lines(content)[0]))
    # The click is the same person's conversation, stored as one.
    assert user_texts(servers, "U1CLICK_D1CLICK", 2) == [
        "how do I reset my password?",
        "/prepare_call",
    ]


def test_retries_and_concurrent_duplicates_of_one_event_get_one_answer(servers, slack_api, content):
    body = message_event(
        "how do I reset my password?", user="U1RETRY", channel="D1RETRY", event_id="EvRetry1"
    )
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: send(servers, slack_api, body).status_code, range(4)))
    assert statuses == [200] * 4
    slack_api.wait_for_text("D1RETRY", phone(content))
    assert send(servers, slack_api, body, retry=1).status_code == 200
    time.sleep(QUIET)
    # One answer, and its "Did this help?" once.
    texts = [p["text"] for p in slack_api.posts_to("D1RETRY")]
    assert [phone(content) in t for t in texts] == [True, False]
    assert texts[1] == to_mrkdwn(feedback.question(content))


def test_unsigned_stale_and_tampered_requests_are_refused_and_never_answered(servers, slack_api):
    body = message_event(
        "how do I reset my password?", user="U1BAD", channel="D1BAD", event_id="EvBad1"
    )
    stale = signed_headers(slack_api.signing_secret, body, timestamp=int(time.time()) - 600)
    tampered = body.replace(b"password", b"passw0rd")
    answers = [
        post(servers, body, {"Content-Type": "application/json"}),
        post(servers, body, stale),
        post(servers, tampered, signed_headers(slack_api.signing_secret, body)),
        post(servers, body, signed_headers("not-the-signing-secret", body)),
    ]
    assert [(a.status_code, "error" in a.json()) for a in answers] == [(401, True)] * 4
    time.sleep(QUIET)
    assert slack_api.posts_to("D1BAD") == []


def test_the_url_check_is_echoed_only_when_signed(servers, slack_api):
    body = (
        b'{"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY", "type": "url_verification"}'
    )
    assert send(servers, slack_api, body).json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY"}
    assert post(servers, body, {"Content-Type": "application/json"}).status_code == 401


def test_malformed_signed_bodies_get_400_not_500(servers, slack_api):
    for body, content_type in [
        (b"{oops", "application/json"),
        (b"[]", "application/json"),
        (b'{"type": "event_callback"}', "application/json"),
        (b"payload=%7Bnope", FORM),
        (b"nothing=here", FORM),
    ]:
        answer = send(servers, slack_api, body, content_type)
        assert answer.status_code == 400, body
        assert answer.json()["error"]


def test_a_message_in_a_thread_is_answered_in_that_thread(servers, slack_api, content):
    body = message_event(
        "how do I reset my password?",
        user="U1THREAD",
        channel="D1THREAD",
        event_id="EvThread1",
        thread_ts="1700000000.000100",
    )
    assert send(servers, slack_api, body).status_code == 200
    posts = slack_api.wait_for_text("D1THREAD", phone(content))
    assert {p.get("thread_ts") for p in posts} == {"1700000000.000100"}
    assert user_texts(servers, "U1THREAD_D1THREAD_1700000000.000100", 1) == [
        "how do I reset my password?"
    ]


def test_a_mention_in_a_channel_is_answered_without_the_mention(servers, slack_api, content):
    body = message_event(
        "<@U0BOT> how do i reset my password",
        user="U1MENTION",
        channel="C1MENTION",
        event_id="EvMention1",
        kind="app_mention",
    )
    assert send(servers, slack_api, body).status_code == 200
    slack_api.wait_for_text("C1MENTION", phone(content))
    assert user_texts(servers, "U1MENTION_C1MENTION", 1) == ["how do i reset my password"]


def test_a_typed_password_is_warned_about_and_never_stored(servers, slack_api, content):
    body = message_event(
        "my password is Fluffy22 and it doesnt work",
        user="U1SECRET",
        channel="D1SECRET",
        event_id="EvSecret1",
    )
    assert send(servers, slack_api, body).status_code == 200
    posts = slack_api.wait_for_text("D1SECRET", "don't type passwords")
    assert not any("Fluffy22" in p["text"] for p in posts)
    # The lone word typed right after the warning is taken for the password too.
    lone = message_event("Hamster99", user="U1SECRET", channel="D1SECRET", event_id="EvSecret2")
    assert send(servers, slack_api, lone).status_code == 200
    assert user_texts(servers, "U1SECRET_D1SECRET", 2) == [
        "my password is [password removed] and it doesnt work",
        "[password removed]",
    ]
    stored = repr(stored_events(servers, "U1SECRET_D1SECRET"))
    assert "Fluffy22" not in stored and "Hamster99" not in stored


def test_messages_from_bots_edits_and_ourselves_get_no_reply(servers, slack_api):
    bodies = [
        message_event(
            "how do I reset my password?",
            user="U1BOTS",
            channel="D1BOTS",
            event_id="EvBots1",
            bot_id="B0OTHER",
        ),
        message_event(
            "how do I reset my password?",
            user="U1BOTS",
            channel="D1BOTS",
            event_id="EvBots2",
            subtype="bot_message",
        ),
        message_event(
            "how do I reset my password?",
            user="U1BOTS",
            channel="D1BOTS",
            event_id="EvBots3",
            subtype="message_changed",
        ),
        message_event(
            "how do I reset my password?", user="U0BOT", channel="D1BOTS", event_id="EvBots4"
        ),
        message_event(
            "how do I reset my password?",
            user="U1BOTS",
            channel="C1BOTS",
            event_id="EvBots5",
            channel_type="channel",
        ),  # not mentioned
    ]
    assert [send(servers, slack_api, b).status_code for b in bodies] == [200] * 5
    time.sleep(QUIET)
    assert slack_api.posts_to("D1BOTS") == [] and slack_api.posts_to("C1BOTS") == []


def test_a_too_long_message_gets_the_polite_refusal_in_slack(servers, slack_api, content):
    body = message_event("help " * 300, user="U1LONG", channel="D1LONG", event_id="EvLong1")
    assert send(servers, slack_api, body).status_code == 200
    slack_api.wait_for_text("D1LONG", to_mrkdwn(content.fill(content.messages["input_too_long"])))
    assert stored_events(servers, "U1LONG_D1LONG") == []


def test_did_this_help_is_two_buttons_and_a_click_on_no_gets_the_helpdesk(
    servers, slack_api, content
):
    first = message_event(
        "how do I reset my password?", user="U1VOTE", channel="D1VOTE", event_id="EvVote1"
    )
    assert send(servers, slack_api, first).status_code == 200
    question = to_mrkdwn(feedback.question(content))
    posts = slack_api.wait_for_text("D1VOTE", question)
    vote = next(p for p in posts if p["text"] == question)
    assert vote["blocks"][-1]["type"] == "actions"
    buttons = vote["blocks"][-1]["elements"]
    assert [(b["text"]["text"], b["value"]) for b in buttons] == [
        (b["title"], b["payload"]) for b in feedback.buttons(content)
    ]
    click = button_click(feedback.NO, user="U1VOTE", channel="D1VOTE", trigger_id="trig-vote")
    assert send(servers, slack_api, click, FORM).status_code == 200
    sorry = to_mrkdwn(feedback.sorry(content))
    posts = slack_api.wait_for_text("D1VOTE", sorry)
    assert feedback.sorry_has_the_helpdesk(content, posts[-1]["text"])
    assert user_texts(servers, "U1VOTE_D1VOTE", 2) == ["how do I reset my password?", feedback.NO]
