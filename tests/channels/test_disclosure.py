"""A message's secrets are decided on the raw text, inside Rasa, before it is
parsed or stored (channels/disclosure.py)."""

import asyncio

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels import disclosure
from nlp.privacy import warning_text
from patches.disclosure import wrap_with_tracker


def tracker_after(*events):
    return DialogueStateTracker.from_events("s1", list(events))


def message(text):
    return UserMessage(text, CollectingOutputChannel(), "s1")


def test_a_lone_password_after_a_login_message_is_flagged_and_masked():
    tracker = tracker_after(
        UserUttered("i cant log in, it keeps saying wrong"),
        ActionExecuted("action_answer_topic"),
        BotUttered("Call the helpdesk"),
    )
    typed = message("Bluebell77x")
    verdict = disclosure.guard(typed, tracker)
    assert verdict == {"disclosed": True, "context": "password"}
    assert typed.text == "[password removed]"
    assert typed.metadata["privacy"] == verdict


def test_after_the_warning_a_lone_word_is_flagged_but_a_question_is_not():
    tracker = tracker_after(UserUttered("hello"), BotUttered(warning_text()))
    assert disclosure.guard(message("Tr0ub4dor"), tracker)["disclosed"]
    question = message("my password isn't working anymore")
    assert disclosure.guard(question, tracker) == {"disclosed": False, "context": "password"}
    assert question.text == "my password isn't working anymore"


def test_a_clicked_button_is_never_taken_for_a_secret():
    tracker = tracker_after(UserUttered("i cant log in"))
    click = message('/helpdesk_contact{"org_type": "pharmacy"}')
    assert disclosure.guard(click, tracker)["disclosed"] is False
    assert click.text == '/helpdesk_contact{"org_type": "pharmacy"}'


def test_metadata_sent_by_a_client_cannot_skip_the_check():
    forged = UserMessage(
        "my password is Fluffy22",
        CollectingOutputChannel(),
        "s1",
        metadata={"privacy": {"disclosed": False, "context": ""}},
    )
    seen = []

    async def rasa_handles(self, msg, tracker):
        seen.append((msg.text, msg.metadata["privacy"]["disclosed"]))

    asyncio.run(wrap_with_tracker(rasa_handles)(None, forged, tracker_after()))
    assert seen == [("my password is [password removed]", True)]
