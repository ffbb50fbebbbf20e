"""channels/idempotency.py: a message sent again with its id is handled once.

The whole path (REST, Rasa's lock, the SQL store) is in tests/e2e/test_rest.py
and the kill -9 test in tests/cluster/test_cluster.py; these pin the parts
(tests/patches/ shows the wrappers in force in Rasa's own methods).
"""

import asyncio
from types import SimpleNamespace

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from channels.idempotency import RetryableMessage, replies_to, user_message
from patches import idempotency as idempotency_patch

BUTTONS = [{"title": "Prepare for the call", "payload": "/prepare_call"}]


def conversation():
    return DialogueStateTracker.from_events(
        "s1",
        [
            UserUttered("my account was deleted", message_id="m1"),
            ActionExecuted("reinstate_form"),
            BotUttered("Has every NHSmail account linked to your organisation been deleted?"),
            ActionExecuted("action_listen"),
            UserUttered("yes", message_id="m2"),
            SlotSet("all_accounts_deleted", True),
            BotUttered(
                "Your current manager should call 0333 200 1133.", data={"buttons": BUTTONS}
            ),
            BotUttered("Anything else?"),
            ActionExecuted("action_listen"),
            UserUttered("thanks", message_id="m3"),
        ],
    )


def test_the_replies_of_a_stored_turn_are_read_back_in_order_with_their_buttons():
    replies = replies_to(conversation(), "m2")
    assert [(r["text"], r.get("buttons")) for r in replies] == [
        ("Your current manager should call 0333 200 1133.", BUTTONS),
        ("Anything else?", None),
    ]
    assert [r["text"] for r in replies_to(conversation(), "m1")] == [
        "Has every NHSmail account linked to your organisation been deleted?"
    ]
    assert replies_to(conversation(), "m3") == []  # stored, not answered yet
    assert replies_to(conversation(), "m9") is None


def test_a_retry_gets_the_first_answer_and_is_not_parsed_or_handled_again():
    """Rasa's handle_message reads the conversation and hands it to
    _handle_message_with_tracker (which parses and logs the message): stood in
    for here, with the stored conversation above, and wrapped as
    patches/idempotency.py wraps Rasa's."""
    handled = []

    async def rasa_parse_and_log(self, message, tracker):
        handled.append(message.text)

    with_tracker = idempotency_patch.wrap_with_tracker(rasa_parse_and_log)

    async def rasa_turn(self, message):
        await with_tracker(self, message, conversation())
        return ["handled"]

    handle_message = idempotency_patch.wrap_handle_message(rasa_turn)
    processor = SimpleNamespace()

    out = CollectingOutputChannel()
    sent = asyncio.run(
        handle_message(processor, RetryableMessage("yes", out, "s1", message_id="m2"))
    )
    assert [(m["recipient_id"], m["text"], m.get("buttons")) for m in sent] == [
        ("s1", "Your current manager should call 0333 200 1133.", BUTTONS),
        ("s1", "Anything else?", None),
    ]
    assert handled == []

    # Teams' and Slack's retries: the first answer was posted already.
    out = CollectingOutputChannel()
    assert (
        asyncio.run(
            handle_message(
                processor, RetryableMessage("yes", out, "s1", message_id="m2", replay=False)
            )
        )
        == []
    )
    assert out.messages == [] and handled == []

    # A new id, and a message without one, are handled as usual.
    assert asyncio.run(
        handle_message(
            processor, RetryableMessage("no", CollectingOutputChannel(), "s1", message_id="m4")
        )
    ) == ["handled"]
    assert asyncio.run(
        handle_message(
            processor, UserMessage("yes", CollectingOutputChannel(), "s1", message_id="m2")
        )
    ) == ["handled"]
    assert handled == ["no", "yes"]


def test_only_an_id_that_fits_makes_a_message_retryable():
    out = CollectingOutputChannel()
    kept = user_message("yes", out, "s1", "rest", "m1", replay=False)
    assert isinstance(kept, RetryableMessage)
    assert (kept.message_id, kept.replay, kept.input_channel) == ("m1", False, "rest")
    for unusable in (None, "", "m" * 129, 7):
        message = user_message("yes", out, "s1", "rest", unusable)
        assert type(message) is UserMessage and message.message_id != unusable
