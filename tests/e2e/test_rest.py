"""End to end: the real action server and Rasa server, talked to over REST.

Slow: the servers are started once (tests/e2e/conftest.py).
"""

import requests

from tests.support import feedback
from tests.support.servers import say, stored_events


def test_password_question_gets_the_helpdesk_from_the_action_server(servers, content):
    replies = say(servers, "e2e-password", "how do I reset my password?")
    text = "\n".join(r.get("text", "") for r in replies)
    assert f"Phone: {content.facts['helpdesk_phone']}" in text
    assert f"Email: {content.facts['helpdesk_email']}" in text
    assert f'1. Press {content.menu_first.option}: "{content.menu_first.label}".' in text
    assert any(b["payload"] == "/prepare_call" for r in replies for b in r.get("buttons", []))
    # The number lives only in the content file, so only the action server can
    # have sent it; the stored conversation shows the action that ran.
    actions = [e["name"] for e in stored_events(servers, "e2e-password") if e["event"] == "action"]
    assert "action_answer_topic" in actions


def test_deleted_accounts_question_then_yes_gives_the_managers_route(servers):
    first = say(servers, "e2e-deleted", "my nhsmail account has been deleted")
    assert first[-1]["text"].startswith("Has every NHSmail account linked")
    second = say(servers, "e2e-deleted", "yes")
    text = second[0]["text"]
    assert "current manager" in text and "registered landline" in text


def test_stating_the_case_in_the_first_message_skips_the_question(servers):
    replies = say(servers, "e2e-all", "our manager and all the staff accounts were deleted")
    text = "\n".join(r.get("text", "") for r in replies)
    assert "current manager" in text
    assert "Has every NHSmail account" not in text


def test_a_typed_password_is_warned_about_and_not_echoed(servers):
    replies = say(servers, "e2e-secret", "my password is Fluffy22 and it doesnt work")
    text = "\n".join(r.get("text", "") for r in replies)
    assert "don't type passwords" in text
    assert "Fluffy22" not in text


def test_gibberish_gets_what_the_assistant_covers(servers, content):
    # One short line and the topic buttons; nothing urgent about it.
    [reply] = say(servers, "e2e-gibberish", "blorp the wibble")
    assert reply["text"] == content.fill(content.messages["other_short"])
    assert "/reset_password" in [b["payload"] for b in reply["buttons"]]


def test_unclear_message_offers_two_topics_then_asks_to_rephrase(servers, content):
    # Unclear, but it names NHSmail: the choices are NHSmail topics.
    first = say(servers, "e2e-unclear", "blorp nhsmail wibble")
    assert first[0]["text"] == "Sorry, I'm not sure what you need. Is it one of these?"
    payloads = [b["payload"] for b in first[0]["buttons"]]
    assert len(payloads) == 3 and payloads[-1] == "/out_of_scope"
    from actions.content import TOPIC_INTENTS

    assert all(p[1:] in TOPIC_INTENTS for p in payloads[:2]), payloads
    second = say(servers, "e2e-unclear", "/out_of_scope")
    assert "say it another way" in second[0]["text"]
    third = say(servers, "e2e-unclear", "I've forgotten my password")
    assert f"Phone: {content.facts['helpdesk_phone']}" in third[0]["text"]


def test_a_message_sent_again_with_its_id_gets_the_same_answer_and_is_stored_once(servers):
    """A phone that lost the connection sends the same message again: the
    form is not asked twice, and "yes" still gets the manager's route."""

    def send(message, message_id):
        response = requests.post(
            f"{servers['url']}/webhooks/rest/webhook",
            timeout=60,
            json={"sender": "e2e-retry", "message": message, "message_id": message_id},
        )
        response.raise_for_status()
        return response.json()

    first = send("my nhsmail account has been deleted", "phone-1")
    assert first[-1]["text"].startswith("Has every NHSmail account linked")
    assert send("my nhsmail account has been deleted", "phone-1") == first
    second = send("yes", "phone-2")
    assert "current manager" in second[0]["text"]
    assert send("yes", "phone-2") == second
    stored = [e["text"] for e in stored_events(servers, "e2e-retry") if e["event"] == "user"]
    assert stored == ["my nhsmail account has been deleted", "yes"]
    # Without an id a message is a new one, as before.
    assert "current manager" not in say(servers, "e2e-retry", "yes")[0]["text"]


# --- "Did this help?" ---------------------------------------------------------


def test_no_to_did_this_help_gets_the_helpdesk_and_the_next_question_is_answered(servers, content):
    sender = "e2e-feedback-no"
    replies = say(servers, sender, "how do I reset my password?")
    assert f"Phone: {content.facts['helpdesk_phone']}" in replies[0]["text"]
    vote = replies[-1]
    assert vote["text"] == feedback.question(content)
    assert vote["buttons"] == feedback.buttons(content)
    [sorry] = say(servers, sender, feedback.NO)
    assert sorry["text"] == feedback.sorry(content)
    assert feedback.sorry_has_the_helpdesk(content, sorry["text"])
    # What they were trying to do is answered as any question is.
    after = say(servers, sender, "/shared_mailbox")
    assert after[0]["text"].startswith(content.fill("Each care home site has one shared mailbox"))
    intents = [
        e["parse_data"]["intent"]["name"]
        for e in stored_events(servers, sender)
        if e["event"] == "user"
    ]
    assert intents == ["reset_password", "feedback_no", "shared_mailbox"]


def test_did_this_help_is_asked_once_per_topic_and_ignoring_it_blocks_nothing(servers, content):
    sender = "e2e-feedback-once"
    first = say(servers, sender, "/reset_password")
    assert first[-1]["text"] == feedback.question(content)
    # Ignored: the next question is answered, and asked about, as usual.
    second = say(servers, sender, "/helpdesk_contact")
    assert f"Phone: {content.facts['helpdesk_phone']}" in second[0]["text"]
    assert second[-1]["text"] == feedback.question(content)
    # The same topic again: answered, not asked about again.
    third = say(servers, sender, "/reset_password")
    assert [r["text"] for r in third] == [first[0]["text"]]
    # A late click still counts, and gets thanks.
    assert [r["text"] for r in say(servers, sender, feedback.YES)] == [feedback.thanks(content)]
    # Small talk is never asked about.
    assert feedback.question(content) not in [r.get("text") for r in say(servers, sender, "hello")]
